namespace MoCo.Inference;

/// <summary>What the inference RPCs not built yet wait on. ListModels, ModelInfo, Tokenize, Detokenize, LoadModel, UnloadModel, Generate, Score and Embed are served; the calls that
/// name a model check the name first, so an unknown model is NOT_FOUND even where the RPC itself is pending.</summary>
public static class InferenceCapabilities
{
    private const string Engine = "the native model loader and batched forward pass of libmoco";

    /// <summary>RPC name → missing capability.</summary>
    public static IReadOnlyDictionary<string, string> Pending { get; } = new Dictionary<string, string>
    {
        ["GenerateEnsemble"] = Engine + " and the logit fusion kernels",
        ["Decode"] = Engine + " and Decode sessions",
        ["Merge"] = "the native merge kernels",
        ["ReadWeights"] = "weight streaming from resident models",
        ["WriteModel"] = "weight streaming into new models",
        ["Train"] = "the native trainer",
    };
}
