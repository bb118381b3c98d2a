namespace MoCo.Models.Generation;

/// <summary>Which end-of-sequence ids end a sample (contracts.md InputSettings.eos).</summary>
public enum EosStop
{
    /// <summary>The tokenizer's EOS id together with every generation_config.json EOS id (default).</summary>
    EosSet,
    /// <summary>generation_config.json's EOS ids only (the reference's generate()).</summary>
    GenerationConfig,
    /// <summary>The tokenizer's EOS id only.</summary>
    Tokenizer,
    /// <summary>No EOS stops; only stop ids, stop strings and lengths end a sample.</summary>
    None,
}

/// <summary>The ids that end a sample under an <see cref="EosStop"/> mode, plus the request's extra stop ids.</summary>
public static class EosStopSet
{
    /// <summary>The stop ids, ascending and without duplicates.</summary>
    /// <param name="mode">The request's EOS mode.</param>
    /// <param name="tokenizerEos">tokenizer_config.json's eos_token as an id, if any.</param>
    /// <param name="config">The model's generation_config.json.</param>
    /// <param name="extraStopIds">InputSettings.stop_token_ids.</param>
    public static IReadOnlyList<int> Resolve(EosStop mode, int? tokenizerEos, GenerationConfig config, IEnumerable<int>? extraStopIds = null)
    {
        ArgumentNullException.ThrowIfNull(config);
        IEnumerable<int> tokenizer = tokenizerEos is { } id ? [id] : [];
        var ids = mode switch
        {
            EosStop.EosSet => tokenizer.Concat(config.EosTokenIds),
            EosStop.GenerationConfig => config.EosTokenIds,
            EosStop.Tokenizer => tokenizer,
            EosStop.None => [],
            _ => throw new ArgumentOutOfRangeException(nameof(mode), mode, "unknown EOS mode"),
        };
        return [.. ids.Concat(extraStopIds ?? []).Distinct().Order()];
    }
}
