using Google.Protobuf;
using MoCo.Contracts.V1;
using MoCo.Router.Decoding;

namespace MoCo.Router.Tests;

/// <summary>api_collm's deferral decoding (methods-api.md §8 acceptance) on the real inference service's Decode with the
/// smoke models, the last id standing in for the trained `&lt;|defer|&gt;` entry: a threshold of 1.0 never runs the mentor
/// and writes the generator's greedy tokens without the entry; −1 with "defer" writes exactly the mentor's greedy
/// tokens; a linear warm-up never defers at step 0; compose mixes the two distributions by p.</summary>
public sealed class CoLlmDecodingTests(SmokeDecoding smoke) : IClassFixture<SmokeDecoding>
{
    private const string Generator = "smoke-llama";
    private const string Mentor = "smoke-qwen2";
    private const int Defer = 255;
    private const int Budget = 8;
    private static readonly int[] Prompt = [1, 72, 105, 33, 32];
    private GrpcDecodeBackend Backend => smoke.Backend;

    private Task<CoLlmText> RunAsync(double threshold, string schedule = "none", int warmup = 15) => CoLlmDecoding.RunAsync(Backend,
        new CoLlmSettings(Generator, Mentor, Defer, Defer, new CoLlmThresholds(threshold, schedule, warmup, Budget), false, Budget), Prompt, "test/0", default);

    [Fact]
    public async Task A_threshold_of_one_never_runs_the_mentor_and_writes_the_generators_greedy_tokens_without_the_entry()
    {
        var text = await RunAsync(1.0);

        Assert.Equal((0, 0), (text.Deferred, text.MentorSteps));
        Assert.Equal(await GreedyAsync(Generator, new StepOutputs { ArgmaxExcluding = { Defer } }), text.Ids);
        Assert.Equal((await Backend.DetokenizeAsync(Generator, [[.. text.Ids]], skipSpecial: true, default))[0], text.Text);
    }

    [Fact]
    public async Task A_threshold_below_every_sigmoid_defers_every_token_to_the_mentors_greedy_choice()
    {
        var text = await RunAsync(-1.0);

        Assert.Equal(await GreedyAsync(Mentor, new StepOutputs { Argmax = true }), text.Ids);
        Assert.Equal(text.Ids.Count, text.Deferred);
        // One open, then one catch-up append per later token: the mentor runs once per deferred step.
        Assert.Equal(text.Deferred, text.MentorSteps);
    }

    [Fact]
    public async Task A_linear_warmup_starts_at_one_so_step_zero_is_the_generators()
    {
        // One warm-up step: τ is 1.0 at step 0 and −1 after.
        var text = await RunAsync(-1.0, "linear", warmup: 1);

        Assert.Equal((await GreedyAsync(Generator, new StepOutputs { ArgmaxExcluding = { Defer } }))[0], text.Ids[0]);
        Assert.Equal(text.Ids.Count - 1, text.Deferred);
    }

    [Fact]
    public void Thresholds_follow_the_schedules()
    {
        var linear = new CoLlmThresholds(0.5, "linear", 3, 100);
        Assert.Equal([1.0, 0.75, 0.5, 0.5], [.. Enumerable.Range(0, 4).Select(linear.At)]);
        // The warm-up is at most the token budget long.
        Assert.Equal([1.0, 0.5], [.. Enumerable.Range(0, 2).Select(new CoLlmThresholds(0.5, "linear", 15, 2).At)]);
        var cosine = new CoLlmThresholds(0.2, "cosine", 2, 100);
        Assert.Equal(1.0, cosine.At(0), 12);
        Assert.Equal(0.2 + (0.8 * 0.5), cosine.At(1), 12);
        Assert.Equal(0.2, cosine.At(2), 12);
        Assert.Equal(0.3, new CoLlmThresholds(0.3, "none", 15, 100).At(0));
        Assert.Throws<ArgumentException>(() => new CoLlmThresholds(0.3, "step", 15, 100));
    }

    [Fact]
    public void Compose_takes_the_argmax_of_the_mixture_of_both_softmaxes_over_the_first_v_ids()
    {
        // The generator leans to id 0, the mentor to id 2; the reported probabilities need not sum to one (they are the
        // full vocabulary's, sliced) and are renormalised first.
        var generator = Step(0.5f, 0.3f, 0.0f);
        var mentor = Step(0.1f, 0.0f, 0.4f);
        Assert.Equal(0, CoLlmDecoding.Compose(generator, mentor, 0.0));
        Assert.Equal(2, CoLlmDecoding.Compose(generator, mentor, 1.0));
        // p = 0.5: 0.5·(5/8) + 0.5·(1/5) = 0.4125 for id 0, 0.5·(0) + 0.5·(4/5) = 0.4 for id 2.
        Assert.Equal(0, CoLlmDecoding.Compose(generator, mentor, 0.5));
        Assert.Equal(2, CoLlmDecoding.Compose(generator, mentor, 0.55));
    }

    private static DecodeStep Step(params float[] probs) => new()
    {
        Probs = new PackedValues { Dtype = DType.F32, VocabSize = probs.Length, Data = ByteString.CopyFrom(System.Runtime.InteropServices.MemoryMarshal.AsBytes(probs.AsSpan())) },
    };

    // The model's own greedy decode of the prompt under the given argmax rule, stopping at its EOS or the budget.
    private async Task<IReadOnlyList<int>> GreedyAsync(string model, StepOutputs outputs)
    {
        var eos = await Backend.EosAsync(model, default);
        await using var session = Backend.OpenSession(default);
        var step = await session.OpenAsync("greedy", model, Prompt, outputs, 0, 0);
        var ids = new List<int>();
        while (ids.Count < Budget && !eos.Contains(step.Argmax!.Value))
        {
            ids.Add(step.Argmax.Value);
            step = await session.AppendAsync("greedy", [step.Argmax.Value]);
        }
        return ids;
    }
}
