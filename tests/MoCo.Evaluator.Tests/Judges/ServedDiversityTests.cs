using MoCo.Contracts.V1;
using MoCo.Evaluator.Datasets;
using MoCo.Evaluator.Tests.Support;
using MoCo.Testing.Inference;
using static MoCo.Evaluator.Tests.Support.EvaluatorCalls;

namespace MoCo.Evaluator.Tests.Judges;

/// <summary>
/// generation_diversity end to end on real infinite_chat_diversity items: the real Evaluate RPC calls Embed on the
/// real inference service in-process, with the tiny causal golden model standing in for the RoBERTa encoder
/// (evaluation.md §2.9, §3.4: a decoder may be configured, flagged encoder_substituted). Mechanics, not quality: the
/// test pins the Embed request the inference side received, the §2.9 formula applied to the vectors the same host
/// gives for those texts, the flag, and the cache.
/// </summary>
public sealed class ServedDiversityTests(ServedModels served) : IClassFixture<ServedModels>
{
    private const string Task = "infinite_chat_diversity";
    // §2.9: truncated to 512 tokens and padded to 512.
    private const int PadTo = 512;

    private static EvaluateHeader DiversityHeader(int limit)
    {
        var header = Header(Task, Split.Test, limit: limit);
        // evaluation.diversity.encoder travels as the header's models.encoder.
        header.Models = new EvaluatorModels { Encoder = GoldenModels.Llama };
        return header;
    }

    private static List<string> References(int index) =>
        [.. TestData.Item(Task, DatasetSplit.Test, index).Present("reference")!.Value.EnumerateArray().Select(r => r.GetString()!)];

    [Fact]
    public async Task A_tiny_decoder_as_encoder_scores_real_items_with_one_minus_the_mean_cosine_of_its_padded_mean_embeddings()
    {
        // One output equal to its first reference (cosine 1 there), two unrelated, and an empty one last.
        string[] outputs = [References(0)[0], "Bananas are yellow and grow in bunches on tall plants.", "Movie: Up. Opposite: Down.", ""];

        var (results, summary) = await served.Client.EvaluateAsync(DiversityHeader(4), outputs.Select((o, i) => Output(o, i)));

        var received = served.Inference.Calls.Requests<EmbedRequest>().Where(r => r.Model == GoldenModels.Llama).ToList();
        var expected = new List<double>();
        for (var i = 0; i < 3; i++)
        {
            var references = References(i);
            // (1) One Embed per item: the output, then its references, pooled as §2.9 says.
            var request = Assert.Single(received, r => r.Texts.Count > 0 && r.Texts[0] == outputs[i] && r.Texts.Skip(1).SequenceEqual(references));
            Assert.Equal((Pooling.MeanPadded, PadTo, PadTo, true), (request.Pooling, request.PadTo!.Value, request.MaxTokens!.Value, request.AddSpecialTokens!.Value));

            // (2) The score from vectors the host gives for each text on its own, by §2.9's formula.
            var mine = await EmbedAsync(outputs[i]);
            var cosines = new List<double>();
            foreach (var reference in references)
            {
                cosines.Add(Cosine(mine, await EmbedAsync(reference)));
            }
            var score = 1 - cosines.Average();
            var result = Assert.Single(results, r => r.Index == i);
            // Batched with the references versus alone: the engine's float sums may differ in the last bits.
            Assert.Equal(score, result.Score!.Value, 5);
            // (3) A decoder stands in for RoBERTa.
            Assert.Equal("encoder_substituted", Assert.Single(result.Flags));
            expected.Add(score);
        }
        // "" is no tokens for these models (no special tokens, unlike RoBERTa's <s></s>): the inference side refuses
        // to pool nothing, and the evaluator makes that an item error, never a score.
        var empty = Assert.Single(results, r => r.Index == 3);
        Assert.Null(empty.Score);
        Assert.Equal((int)Grpc.Core.StatusCode.InvalidArgument, empty.Error.Code);
        // The flag names the model that was asked, so an item error keeps it too.
        Assert.Equal("encoder_substituted", Assert.Single(empty.Flags));
        Assert.Equal(4, received.Count);
        // The first output is its own first reference, so its similarity there is 1 and it is the least diverse.
        Assert.True(expected[0] < expected[1]);
        Assert.Equal(("diversity", 3, 1, false), (summary.Metric, summary.NScored, summary.NErrors, summary.ComparableToReference));
        Assert.Equal(expected.Average(), summary.Mean!.Value, 5);
        Assert.Equal(4, summary.FlagCounts["encoder_substituted"]);
    }

    [Fact]
    public async Task Evaluating_the_same_outputs_again_makes_no_second_embed_call()
    {
        EvaluateOutput[] outputs = [Output("A reworded sentence about not liking it.", 0), Output("A film and its opposite.", 1)];

        var first = await served.Client.EvaluateAsync(DiversityHeader(2), outputs);
        var embeds = served.Inference.Calls.Count("Embed");
        var again = await served.Client.EvaluateAsync(DiversityHeader(2), outputs);

        // The judge cache keeps each (item, output, encoder) result: no new Embed reached the inference side.
        Assert.Equal(embeds, served.Inference.Calls.Count("Embed"));
        Assert.Equal(first.Results.OrderBy(r => r.Index), again.Results.OrderBy(r => r.Index));

        // A new output for one item is one new Embed.
        await served.Client.EvaluateAsync(DiversityHeader(2), [outputs[0], Output("Another film and its opposite.", 1)]);
        Assert.Equal(embeds + 1, served.Inference.Calls.Count("Embed"));
    }

    private async Task<float[]> EmbedAsync(string text)
    {
        var reply = await served.Inference.Client.EmbedAsync(new EmbedRequest
        {
            Model = GoldenModels.Llama, Texts = { text }, Pooling = Pooling.MeanPadded, PadTo = PadTo, MaxTokens = PadTo, AddSpecialTokens = true,
        });
        Assert.True(reply.Substituted);
        return [.. Assert.Single(reply.Vectors).Values];
    }

    // Cosine similarity in double, written out here rather than taken from the scorer under test.
    private static double Cosine(float[] a, float[] b)
    {
        Assert.Equal(a.Length, b.Length);
        double dot = 0, na = 0, nb = 0;
        for (var i = 0; i < a.Length; i++)
        {
            dot += (double)a[i] * b[i];
            na += (double)a[i] * a[i];
            nb += (double)b[i] * b[i];
        }
        return dot / Math.Sqrt(na * nb);
    }
}
