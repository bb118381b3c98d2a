using System.Text.Json.Nodes;

namespace MoCo.Orchestrator.Methods.Primitives;

/// <summary>How an ensemble's members combine their next-token logits (methods-logit-weight.md §1.1).</summary>
public enum EnsembleKind
{
    /// <summary>L2: weighted sum of the members' logits.</summary>
    Fuse,

    /// <summary>L3 (+ L4): z_top1 + λ·(Σ top − Σ bottom), optionally cut to tokens plausible under top[0].</summary>
    Contrastive,
}

/// <summary>An ensemble to decode with (GenerateEnsemble): the members by config name, in order, and the
/// combination's parameters. The prompt is rendered with <see cref="TemplateMember"/>'s chat template.</summary>
/// <param name="Members">Member model names (config names; the backend addresses them).</param>
/// <param name="Kind">Fusion or contrastive.</param>
public sealed record EnsembleSpec(IReadOnlyList<string> Members, EnsembleKind Kind)
{
    /// <summary>Fuse: one weight per member, used as given; null = uniform.</summary>
    public IReadOnlyList<double>? Weights { get; init; }

    /// <summary>Contrastive: member indices of the top set, best first.</summary>
    public IReadOnlyList<int> Top { get; init; } = [];

    /// <summary>Contrastive: member indices of the bottom set, in ranking order; as many as <see cref="Top"/>.</summary>
    public IReadOnlyList<int> Bottom { get; init; } = [];

    /// <summary>Contrastive strength λ.</summary>
    public double Lambda { get; init; } = 0.2;

    /// <summary>Plausibility cut α in [0, 1] anchored on top[0]; 0 = off.</summary>
    public double PlausibilityAlpha { get; init; }

    /// <summary>The member whose chat template and tokenizer render the prompt.</summary>
    public int TemplateMember { get; init; }

    /// <summary>The combination as its call key records it, with each member's fingerprint in place of its name.</summary>
    public JsonObject Describe(IReadOnlyList<string> fingerprints)
    {
        var description = new JsonObject
        {
            ["members"] = new JsonArray([.. fingerprints.Select(f => (JsonNode)JsonValue.Create(f))]),
            ["kind"] = Kind == EnsembleKind.Fuse ? "fuse" : "contrastive",
            ["template_member"] = TemplateMember,
        };
        if (Kind == EnsembleKind.Fuse)
        {
            description["weights"] = Weights is null ? null : new JsonArray([.. Weights.Select(w => (JsonNode)JsonValue.Create(w))]);
        }
        else
        {
            description["top"] = new JsonArray([.. Top.Select(i => (JsonNode)JsonValue.Create(i))]);
            description["bottom"] = new JsonArray([.. Bottom.Select(i => (JsonNode)JsonValue.Create(i))]);
            description["lambda"] = Lambda;
            description["plausibility_alpha"] = PlausibilityAlpha;
        }
        return description;
    }
}
