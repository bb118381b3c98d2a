namespace MoCo.Inference;

/// <summary>What the inference RPCs not built yet wait on. ListModels, ModelInfo, Tokenize, Detokenize, LoadModel, UnloadModel, Generate, Score, Embed, Decode, GenerateEnsemble, Train (SFT, DPO), ReadWeights, WriteModel and Merge are served; the calls that
/// name a model check the name first, so an unknown model is NOT_FOUND even where the RPC itself is pending.</summary>
public static class InferenceCapabilities
{
    /// <summary>RPC name → missing capability.</summary>
    public static IReadOnlyDictionary<string, string> Pending { get; } = new Dictionary<string, string>();
}
