namespace MoCo.Inference.Models;

/// <summary>What a model directory holds, told apart by its files and config.json.</summary>
public enum ModelKind
{
    /// <summary>A decoder language model (config.json, *ForCausalLM).</summary>
    CausalLm,
    /// <summary>A sequence-classification (reward) model: *ForSequenceClassification.</summary>
    SequenceClassifier,
    /// <summary>A PEFT LoRA adapter (adapter_config.json) over a base model.</summary>
    Adapter,
    /// <summary>An encoder-only embedding model (BERT/RoBERTa family).</summary>
    Encoder,
}
