using System.Collections.Frozen;

namespace MoCo.Orchestrator.Methods;

/// <summary>
/// Every method by config id (config-and-cli.md §1.1: 27 methods + single_model), with its level and key schema,
/// and the implementations built so far. A known method without an implementation is valid in a config but
/// answers <see cref="MethodNotImplementedException"/> (UNIMPLEMENTED) when a run starts — never a fake result.
/// </summary>
public sealed class MethodRegistry
{
    /// <summary>Names configs may write that are not methods (CFG006 with an explanation).</summary>
    public static IReadOnlyDictionary<string, string> NotMethods { get; } = new Dictionary<string, string>
    {
        ["sample_approach"] = "the reference's template for new methods (methods-logit-weight.md §11), not a method",
        ["distributed_generation"] = "the reference's generation helper, not a method",
    };

    private readonly FrozenDictionary<string, MethodDescriptor> _methods;
    private readonly FrozenDictionary<string, Func<ICollaborationMethod>> _implementations;

    /// <summary>The registry with the given implementations (id → factory); ids must be registry methods.</summary>
    public MethodRegistry(IReadOnlyDictionary<string, Func<ICollaborationMethod>>? implementations = null)
    {
        _methods = ApiMethods.All().Concat(TextMethods.All()).Concat(LogitWeightMethods.All()).ToFrozenDictionary(m => m.Id, StringComparer.Ordinal);
        var built = implementations ?? new Dictionary<string, Func<ICollaborationMethod>>();
        var unknown = built.Keys.Where(id => !_methods.ContainsKey(id)).ToList();
        if (unknown.Count > 0)
        {
            throw new ArgumentException($"implementations of unknown methods: {string.Join(", ", unknown)}", nameof(implementations));
        }
        _implementations = built.ToFrozenDictionary(StringComparer.Ordinal);
    }

    /// <summary>The registry of this build: the methods implemented so far; every other id answers UNIMPLEMENTED.</summary>
    public static MethodRegistry Default { get; } = new(new Dictionary<string, Func<ICollaborationMethod>>
    {
        ["single_model"] = () => new Text.SingleModelMethod(),
        ["api_prompt_routing"] = () => new Api.PromptRoutingMethod(),
        ["api_cascade"] = () => new Api.CascadeMethod(),
        ["api_trained_router"] = () => new Api.TrainedRouterMethod(),
        ["api_graph_routing"] = () => new Api.GraphRoutingMethod(),
        ["api_nudging"] = () => new Api.NudgingMethod(),
        ["api_switch_generation"] = () => new Api.SwitchGenerationMethod(),
        ["api_mentor_collab"] = () => new Api.MentorCollabMethod(),
        ["api_collm"] = () => new Api.CoLlm.CoLlmMethod(),
        ["text_agglm"] = () => new Text.AggLmMethod(),
        ["text_bbmas"] = () => new Text.BbmasMethod(),
        ["text_heterogeneous_swarms"] = () => new Text.HeterogeneousSwarmsMethod(),
        ["text_llm_blender"] = () => new Text.LlmBlenderMethod(),
        ["text_majority_vote"] = () => new Text.MajorityVoteMethod(),
        ["text_knowledge_card"] = () => new Text.KnowledgeCardMethod(),
        ["text_multiagent_refine"] = () => new Text.MultiagentRefineMethod(),
        ["text_multiagent_feedback"] = () => new Text.MultiagentFeedbackMethod(),
        ["text_multiagent_finetuning"] = () => new Text.MultiagentFinetuningMethod(),
        ["text_structure"] = () => new Text.StructureMethod(),
        ["logit_logit_fusion"] = () => new Logit.LogitFusionMethod(),
        ["logit_logit_contrastive"] = () => new Logit.LogitContrastiveMethod(),
        ["text_slm_mux"] = () => new Text.SlmMuxMethod(),
        ["text_sparta"] = () => new Text.SpartaMethod(),
        ["weight_greedy_soup"] = () => new Weight.GreedySoupMethod(),
        ["weight_dare_ties"] = () => new Weight.DareTiesMethod(),
        ["weight_expo"] = () => new Weight.ExpoMethod(),
        ["weight_model_swarms"] = () => new Weight.ModelSwarmsMethod(),
        ["weight_lorahub"] = () => new Weight.LoraHubMethod(),
    });

    /// <summary>Every method, by level then id.</summary>
    public IReadOnlyList<MethodDescriptor> All => [.. _methods.Values.OrderBy(m => m.Level).ThenBy(m => m.Id, StringComparer.Ordinal)];

    /// <summary>The method with config id <paramref name="id"/>, or null.</summary>
    public MethodDescriptor? Find(string id) => _methods.GetValueOrDefault(id);

    /// <summary>Whether <paramref name="id"/> has an implementation in this build.</summary>
    public bool IsImplemented(string id) => _implementations.ContainsKey(id);

    /// <summary>A fresh instance of the method's implementation.</summary>
    /// <exception cref="MethodNotImplementedException">The method is known but not built.</exception>
    /// <exception cref="KeyNotFoundException">Not a method id (validation rejects those first).</exception>
    public ICollaborationMethod Create(string id)
    {
        if (!_methods.ContainsKey(id))
        {
            throw new KeyNotFoundException($"unknown method \"{id}\"");
        }
        return _implementations.TryGetValue(id, out var factory) ? factory() : throw new MethodNotImplementedException(id);
    }
}
