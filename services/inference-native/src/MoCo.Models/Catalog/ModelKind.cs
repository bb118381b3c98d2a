namespace MoCo.Models.Catalog;

/// <summary>What a model directory holds, told apart by its files and config.json.</summary>
public enum ModelKind
{
    /// <summary>A decoder language model (config.json, *ForCausalLM).</summary>
    CausalLm,
    /// <summary>A sequence-classification (reward) model: *ForSequenceClassification.</summary>
    SequenceClassifier,
    /// <summary>A PEFT LoRA adapter (adapter_config.json) over a base model.</summary>
    Adapter,
    /// <summary>An encoder-only embedding model (BERT family, sentence-transformers).</summary>
    Encoder,
}

/// <summary>The kind names catalogue.json uses (config-and-cli.md §2.2): causal-lm, lora, reward, embedding.</summary>
public static class ModelKindNames
{
    /// <summary>The catalogue spelling of <paramref name="kind"/>.</summary>
    public static string ToCatalogue(this ModelKind kind) => kind switch
    {
        ModelKind.CausalLm => "causal-lm",
        ModelKind.Adapter => "lora",
        ModelKind.SequenceClassifier => "reward",
        _ => "embedding",
    };

    /// <summary>Parses a catalogue kind; null when <paramref name="name"/> is not one of the four.</summary>
    public static ModelKind? FromCatalogue(string name) => name switch
    {
        "causal-lm" => ModelKind.CausalLm,
        "lora" => ModelKind.Adapter,
        "reward" => ModelKind.SequenceClassifier,
        "embedding" => ModelKind.Encoder,
        _ => null,
    };
}
