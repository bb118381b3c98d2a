using MoCo.Inference.Text;
using MoCo.Native.Models;

namespace MoCo.Inference.Registry;

/// <summary>What a call runs on: a resident base model, optionally with a LoRA adapter applied per sequence.</summary>
/// <param name="Id">The name the call used, as the response reports it.</param>
/// <param name="Base">The resident base model, whose loop runs the call.</param>
/// <param name="Adapter">The adapter, or null for the base itself.</param>
/// <param name="Text">The tokenizer and template: the adapter's own when it ships one, else the base's.</param>
public sealed record ServedModel(string Id, ResidentModel Base, MocoAdapter? Adapter, ModelText Text)
{
    /// <summary>The engine's description of the model.</summary>
    public ModelInfo Info => Base.Model.Info;

    /// <summary>The kind in words, for errors: "causal LM (LlamaForCausalLM)".</summary>
    public string KindName => (Info.IsClassifier ? "sequence classifier" : "causal LM") + $" ({Info.Architecture})";
}
