namespace MoCo.Native.Models;

/// <summary>What a loaded model is (<c>moco_model_info</c>); read once at load, so it stays available after dispose.</summary>
/// <param name="Architecture">config.json "architectures"[0], e.g. "Qwen2ForCausalLM".</param>
/// <param name="VocabSize">Rows of the embedding, padding rows included: token ids must be below it.</param>
/// <param name="HiddenSize">Floats per position of the hidden-state output.</param>
/// <param name="IntermediateSize">MLP width.</param>
/// <param name="NumLayers">Decoder layers.</param>
/// <param name="NumHeads">Attention heads.</param>
/// <param name="NumKvHeads">Key/value heads (GQA/MQA when below <paramref name="NumHeads"/>).</param>
/// <param name="HeadDim">Per-head width.</param>
/// <param name="MaxPositionEmbeddings">Longest sequence the forward accepts.</param>
/// <param name="OutputSize">Floats per position of the logits output: the vocabulary for a causal LM, num_labels for a classifier.</param>
/// <param name="IsClassifier">True for *ForSequenceClassification (reward models).</param>
/// <param name="Dtype">The dtype the weights were stored in.</param>
/// <param name="ParameterCount">Elements of the tensors the model uses, a tied LM head counted once.</param>
public sealed record ModelInfo(
    string Architecture,
    int VocabSize,
    int HiddenSize,
    int IntermediateSize,
    int NumLayers,
    int NumHeads,
    int NumKvHeads,
    int HeadDim,
    int MaxPositionEmbeddings,
    int OutputSize,
    bool IsClassifier,
    MocoDtype Dtype,
    ulong ParameterCount);
