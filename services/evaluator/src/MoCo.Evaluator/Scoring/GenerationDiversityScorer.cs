using MoCo.Contracts.V1;
using MoCo.Evaluator.Datasets;
using MoCo.Evaluator.Judges;
using DatasetItem = MoCo.Evaluator.Datasets.DatasetItem;

namespace MoCo.Evaluator.Scoring;

/// <summary>
/// generation_diversity (evaluation.md §2.9, §3.3): 1 − the mean cosine similarity between the output's embedding
/// and each reference's. Embeddings come from inference Embed with the reference's pooling: special tokens added,
/// truncated to 512 tokens, padded to 512 and averaged over all 512 positions, padding included. An encoder other
/// than RoBERTa, or a decoder standing in for one, adds encoder_substituted.
/// </summary>
public sealed class GenerationDiversityScorer(ScoringSettings settings, IInferenceBackend backend, JudgeCache cache, JudgeModels models, int parallelism)
    : JudgeScorer(settings, backend, cache, JudgeRole.Encoder, models.Encoder, "Embed", "generation_diversity", parallelism)
{
    /// <summary>The padded length and truncation of the reference's pooling.</summary>
    public const int PaddedLength = 512;

    /// <inheritdoc/>
    public override ValueTask<ItemOutcome> ScoreAsync(DatasetItem item, string output, CancellationToken cancellationToken)
    {
        if (Settings.ExtractOnly)
        {
            return ValueTask.FromResult(ItemOutcome.ExtractedOnly(null));
        }
        var references = item.Present("reference")!.Value.EnumerateArray().Select(r => r.GetString()!).ToList();
        var request = new EmbedRequest
        {
            Model = Model,
            Texts = { output },
            Pooling = Pooling.MeanPadded,
            PadTo = PaddedLength,
            MaxTokens = PaddedLength,
            AddSpecialTokens = true,
        };
        request.Texts.Add(references);
        var substitutedByName = Model != JudgeRole.Encoder.DefaultModel;
        return JudgeAsync(item, output, "encoder", async () =>
            {
                var reply = await Backend.EmbedAsync(request, cancellationToken).ConfigureAwait(false);
                if (reply.Vectors.Count != references.Count + 1)
                {
                    throw new JudgeOutputException($"'{Model}' returned {reply.Vectors.Count} embeddings for {references.Count + 1} texts");
                }
                var mine = reply.Vectors[0].Values;
                var mean = reply.Vectors.Skip(1).Average(v => Cosine(mine, v.Values));
                return new Judgement(1 - mean, null, null, reply.Substituted);
            },
            j => new ItemOutcome { Score = j.Score, Flags = substitutedByName || j.Substituted ? [ItemFlags.EncoderSubstituted] : [] },
            null, substitutedByName ? [ItemFlags.EncoderSubstituted] : []);
    }

    /// <summary>Cosine similarity as scikit-learn computes it: 0 when either vector is zero.</summary>
    public static double Cosine(IReadOnlyList<float> a, IReadOnlyList<float> b)
    {
        if (a.Count != b.Count)
        {
            throw new JudgeOutputException($"embeddings of different lengths ({a.Count} and {b.Count})");
        }
        double dot = 0, na = 0, nb = 0;
        for (var i = 0; i < a.Count; i++)
        {
            dot += (double)a[i] * b[i];
            na += (double)a[i] * a[i];
            nb += (double)b[i] * b[i];
        }
        return na == 0 || nb == 0 ? 0 : dot / (Math.Sqrt(na) * Math.Sqrt(nb));
    }
}
