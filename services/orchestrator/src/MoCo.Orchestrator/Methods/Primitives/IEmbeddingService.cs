namespace MoCo.Orchestrator.Methods.Primitives;

/// <summary>Embeddings of a batch of texts (inference Embed, mean pooling, L2-normalised, as sentence-transformers) and
/// whether a decoder stood in for the encoder (evaluation.md §3.3: the run is then marked substituted).</summary>
public sealed record Embeddings(IReadOnlyList<double[]> Vectors, bool Substituted);

/// <summary>Embedding over the inference service, cached under call keys like generation.</summary>
public interface IEmbeddingService
{
    /// <summary>Embeds <paramref name="texts"/> with <paramref name="model"/> as one call keyed at <paramref name="site"/>
    /// and <paramref name="itemKey"/>.</summary>
    Task<Embeddings> EmbedAsync(CallSite site, string itemKey, string model, IReadOnlyList<string> texts, CancellationToken cancellationToken);
}
