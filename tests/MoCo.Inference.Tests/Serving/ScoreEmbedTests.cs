using Grpc.Core;
using MoCo.Contracts.V1;
using MoCo.Hosting.Errors;
using MoCo.Native;
using MoCo.Native.Inference;
using MoCo.Native.Models;
using MoCo.Testing.Inference;

namespace MoCo.Inference.Tests.Serving;

[Collection(ServingCollection.Name)]
public sealed class ScoreEmbedTests(ServingHost host)
{
    private static readonly int[] Prompt = GoldenModels.GoldenCase("llama_gqa_rope_llama3", 0).Prompt;

    [Fact]
    public async Task Score_of_a_generated_continuation_equals_the_raw_logprobs_generate_reported()
    {
        var request = Requests.Generate(GoldenModels.Llama, Prompt, 20, sample: true, seed: 5);
        request.Logprobs = new LogprobOptions { Enabled = true, Source = LogprobSource.Raw, TopK = 1 };
        var generation = await Generation.RunAsync(host.Client, request);
        var final = generation.Finals[0];

        var score = await host.Client.ScoreAsync(ScoreOf(GoldenModels.Llama, Prompt, final.TokenIds));

        var reported = generation.Deltas.SelectMany(d => d.Logprobs).ToList();
        Assert.Equal(final.TokenIds, score.TokenIds);
        Assert.Equal(reported.Select(l => l.Value), score.Logprobs);
        Assert.Equal(reported.Select(l => l.Top[0].Value), score.MaxLogprobs);
        Assert.Equal(reported.Select(l => l.Top[0].TokenId), score.ArgmaxIds);
        Assert.Equal(score.Logprobs.Sum(l => (double)l), score.SumLogprob, 9);
        Assert.Equal(Prompt.Length, score.Usage.PromptTokens);
    }

    [Fact]
    public async Task The_greedy_path_is_each_positions_argmax_when_scored()
    {
        var greedy = GoldenModels.GoldenCase("llama_gqa_rope_llama3", 0).Greedy;
        var score = await host.Client.ScoreAsync(ScoreOf(GoldenModels.Llama, Prompt, greedy));
        Assert.Equal(greedy, score.ArgmaxIds);
        Assert.Equal(score.MaxLogprobs, score.Logprobs);
    }

    [Fact]
    public async Task A_reward_models_score_is_the_engines_head_value_and_the_oracles()
    {
        var (tokens, _, golden) = GoldenModels.GoldenCase("llama_reward_classifier", 2);
        var request = new ScoreRequest { Model = GoldenModels.Reward, Mode = ScoreMode.Classification, Prompt = new Prompt { Tokens = new TokenIds() } };
        request.Prompt.Tokens.Ids.Add(tokens);

        var score = await host.Client.ScoreAsync(request);

        Assert.Equal(NativeReference.LastRow(host.Models.Dir(GoldenModels.Reward), tokens), score.Values);
        Assert.Equal(golden.GetProperty("score")[0].GetDouble(), score.Values[0], 1e-3);
        Assert.Equal(["LABEL_0"], score.Labels);
    }

    [Fact]
    public async Task Score_modes_that_do_not_fit_the_model_are_invalid()
    {
        var onClassifier = await Assert.ThrowsAsync<RpcException>(async () => await host.Client.ScoreAsync(ScoreOf(GoldenModels.Reward, Prompt, [1, 2])));
        Assert.Equal((StatusCode.InvalidArgument, "WRONG_MODEL_KIND"), (onClassifier.StatusCode, MocoErrors.ErrorInfos(onClassifier)[0].Reason));
    }

    [Fact]
    public async Task Embed_pools_the_final_hidden_states_as_each_mode_says()
    {
        var request = new EmbedRequest { Model = GoldenModels.Llama, Texts = { "hello", "a longer text to embed" }, Pooling = Pooling.Mean };
        var mean = await host.Client.EmbedAsync(request);
        request.Pooling = Pooling.Last;
        var last = await host.Client.EmbedAsync(request);
        request.Normalize = true;
        var normalized = await host.Client.EmbedAsync(request);
        request.Pooling = Pooling.MeanPadded;
        request.PadTo = 40;
        var padded = await host.Client.EmbedAsync(request);

        Assert.Equal((32, true, 2), (mean.Dim, mean.Substituted, mean.Vectors.Count));
        Assert.All(new[] { mean, last, normalized, padded }, r => Assert.All(r.Vectors, v => Assert.Equal(32, v.Values.Count)));
        Assert.NotEqual(mean.Vectors[0].Values, last.Vectors[0].Values);
        Assert.All(normalized.Vectors.Concat(padded.Vectors), v => Assert.Equal(1.0, Math.Sqrt(v.Values.Sum(x => (double)x * x)), 5));
        var norm = Math.Sqrt(last.Vectors[1].Values.Sum(x => (double)x * x));
        Assert.Equal(last.Vectors[1].Values.Select(x => x / norm), normalized.Vectors[1].Values.Select(x => (double)x), new Tolerance(1e-6));

        // The same text alone or beside another gives the same vector (results never depend on the batch).
        var alone = await host.Client.EmbedAsync(new EmbedRequest { Model = GoldenModels.Llama, Texts = { "hello" }, Pooling = Pooling.Mean });
        Assert.Equal(mean.Vectors[0].Values, alone.Vectors[0].Values);
    }

    [Fact]
    public async Task Mean_padded_pads_attend_to_the_text_only_as_under_an_attention_mask()
    {
        const int padTo = 40;
        var request = new EmbedRequest { Model = GoldenModels.Llama, Texts = { "hello", "a longer text to embed" }, Pooling = Pooling.MeanPadded, PadTo = padTo, Normalize = true };
        var padded = await host.Client.EmbedAsync(request);
        var tokenize = new TokenizeRequest { Model = GoldenModels.Llama };
        tokenize.Inputs.Add(request.Texts.Select(t => new Prompt { Text = t }));
        var ids = await host.Client.TokenizeAsync(tokenize);
        var info = await host.Client.ModelInfoAsync(new ModelInfoRequest { Model = GoldenModels.Llama });
        var pad = info.PadId ?? info.EosIds.Tokenizer ?? 0;

        for (var i = 0; i < request.Texts.Count; i++)
        {
            var expected = MaskedPaddedMean(host.Models.Dir(GoldenModels.Llama), [.. ids.Results[i].TokenIds], pad, padTo);
            Assert.Equal(expected.Select(x => (double)x), padded.Vectors[i].Values.Select(x => (double)x), new Tolerance(1e-6));
        }
    }

    // MEAN_PADDED straight on MoCo.Native: the text prefilled, then the pads in a second call attending to the text
    // alone (attendPrefix); all pad_to final-norm rows averaged in double and L2-normalised.
    private static float[] MaskedPaddedMean(string directory, int[] text, int pad, int padTo)
    {
        using var context = MocoContext.Create("cpu");
        using var model = MocoModel.Load(context, directory);
        using var cache = model.CreateKvCache(new KvCacheOptions(0, 16, 1));
        var sequence = cache.CreateSequence();
        var width = model.Info.HiddenSize;
        var states = new float[padTo * width];
        var batch = new ForwardBatch();
        batch.Add(sequence, text, OutputMode.None, Memory<float>.Empty, hiddenMode: OutputMode.All, hidden: states.AsMemory(0, text.Length * width));
        cache.Forward(batch);
        batch.Clear();
        batch.Add(sequence, Enumerable.Repeat(pad, padTo - text.Length).ToArray(), OutputMode.None, Memory<float>.Empty,
            hiddenMode: OutputMode.All, hidden: states.AsMemory(text.Length * width), attendPrefix: text.Length);
        cache.Forward(batch);
        var mean = new double[width];
        for (var r = 0; r < padTo; r++)
        {
            for (var h = 0; h < width; h++)
            {
                mean[h] += states[r * width + h];
            }
        }
        var norm = Math.Sqrt(mean.Sum(v => v / padTo * (v / padTo)));
        return [.. mean.Select(v => (float)(v / padTo / norm))];
    }

    private static ScoreRequest ScoreOf(string model, IEnumerable<int> prompt, IEnumerable<int> continuation)
    {
        var request = new ScoreRequest { Model = model, Prompt = new Prompt { Tokens = new TokenIds() }, Continuation = new Continuation { Tokens = new TokenIds() } };
        request.Prompt.Tokens.Ids.Add(prompt);
        request.Continuation.Tokens.Ids.Add(continuation);
        return request;
    }

    private sealed class Tolerance(double epsilon) : IEqualityComparer<double>
    {
        public bool Equals(double x, double y) => Math.Abs(x - y) <= epsilon;

        public int GetHashCode(double obj) => 0;
    }
}
