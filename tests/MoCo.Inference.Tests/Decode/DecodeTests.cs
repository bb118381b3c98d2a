using Grpc.Core;
using MoCo.Contracts.V1;
using MoCo.Inference.Tests.Serving;
using ServingRequests = MoCo.Inference.Tests.Serving.Requests;
using MoCo.Testing.Inference;

namespace MoCo.Inference.Tests.Decode;

[Collection(DecodeCollection.Name)]
public sealed class DecodeTests(DecodeHost host)
{
    private static readonly int[] Prompt = GoldenModels.GoldenCase("llama_gqa_rope_llama3", 0).Prompt;

    private static StepOutputs Full => new() { FullLogprobs = true, Argmax = true };

    // On a LoRA adapter too: the sequence runs on the resident base with the adapter applied, as Generate runs it.
    [Theory]
    [InlineData(GoldenModels.Llama)]
    [InlineData(GoldenModels.Lora)]
    public async Task Stepping_with_greedy_choices_reproduces_generate_token_for_token(string model)
    {
        const int tokens = 24;
        var generated = Assert.Single((await Generation.RunAsync(host.Client, ServingRequests.Generate(model, Prompt, tokens))).Finals).TokenIds;

        await using var session = new DecodeSession(host.Client.Decode());
        var path = new List<int>();
        var step = await session.StepAsync(Ops.Open("s", model, Prompt, new StepOutputs { Argmax = true, TopK = 3 }));
        for (var i = 0; i < tokens; i++)
        {
            Assert.Equal(Prompt.Length + i, step.Length);
            // The greedy pick is the top log-prob as well as the raw argmax.
            Assert.Equal(step.Argmax, step.Top[0].TokenId);
            path.Add(step.Argmax!.Value);
            if (i + 1 < tokens)
            {
                step = await session.StepAsync(Ops.Append("s", step.Argmax.Value));
            }
        }
        await session.CompleteAsync();

        Assert.Equal(generated, path);
    }

    [Fact]
    public async Task Seeded_draws_equal_generates_samples_with_the_same_seed()
    {
        const int tokens = 20;
        var request = ServingRequests.Generate(GoldenModels.Llama, Prompt, tokens, sample: true, seed: 77);
        var generated = Assert.Single((await Generation.RunAsync(host.Client, request)).Finals).TokenIds;

        await using var session = new DecodeSession(host.Client.Decode());
        var drawn = new List<int>();
        var step = await session.StepAsync(Ops.Open("s", GoldenModels.Llama, Prompt, new StepOutputs { Draw = true }, request.Sampling, seed: 77));
        while (drawn.Count < tokens)
        {
            drawn.Add(step.DrawnToken!.Value);
            step = await session.StepAsync(Ops.Append("s", step.DrawnToken.Value));
        }

        Assert.Equal(generated, drawn);
        // The counter is the tokens after the prompt: truncating back re-draws the same tokens.
        var again = await session.StepAsync(Ops.Truncate("s", Prompt.Length + 5));
        Assert.Equal(drawn[5], again.DrawnToken);
    }

    [Fact]
    public async Task Fork_and_truncate_give_bit_identical_steps_to_fresh_sequences()
    {
        int[] extra = [10, 20, 30, 40];
        await using var session = new DecodeSession(host.Client.Decode());
        await session.StepAsync(Ops.Open("a", GoldenModels.Llama, Prompt, Full));
        await session.StepAsync(Ops.Append("a", extra[..3]));
        var fork = await session.OneAsync(Ops.Fork("a", "b"));
        Assert.Equal(("a", Prompt.Length + 3), (fork.SeqId, fork.Ack.Length));
        var forked = await session.StepAsync(Ops.Append("b", extra[3]));
        var truncated = await session.StepAsync(Ops.Truncate("a", Prompt.Length + 1));
        // The parent is untouched by its child's append, and vice versa.
        var parentAppended = await session.StepAsync(Ops.Append("a", 99));

        var fresh = new[]
        {
            await session.StepAsync(Ops.Open("f1", GoldenModels.Llama, [.. Prompt, .. extra], Full)),
            await session.StepAsync(Ops.Open("f2", GoldenModels.Llama, [.. Prompt, extra[0]], Full)),
            await session.StepAsync(Ops.Open("f3", GoldenModels.Llama, [.. Prompt, extra[0], 99], Full)),
        };
        Assert.Equal(fresh[0].Logprobs.Data, forked.Logprobs.Data);
        Assert.Equal(fresh[1].Logprobs.Data, truncated.Logprobs.Data);
        Assert.Equal(fresh[2].Logprobs.Data, parentAppended.Logprobs.Data);
        Assert.Equal((Prompt.Length + 1, 256), (truncated.Length, truncated.VocabSize));
        Assert.Equal(256 * 4, forked.Logprobs.Data.Length);
        await session.CompleteAsync();
    }

    [Fact]
    public async Task Every_output_kind_agrees_with_the_kernels_on_the_raw_row()
    {
        var row = NativeReference.LastRow(host.Models.Dir(GoldenModels.Llama), Prompt);
        var outputs = new StepOutputs { Top1Prob = true, ProbsFirstV = 8, HiddenState = true, FullLogprobsDtype = DType.F16, FullLogprobs = true };
        outputs.LogitIds.Add([3, 1, 200]);
        var best = Array.IndexOf(row, row.Max());
        outputs.ArgmaxExcluding.Add(best);
        await using var session = new DecodeSession(host.Client.Decode());
        var step = await session.StepAsync(Ops.Open("s", GoldenModels.Llama, Prompt, outputs));

        Assert.Equal([row[3], row[1], row[200]], step.Logits);
        var second = Enumerable.Range(0, row.Length).Where(v => v != best).MaxBy(v => row[v]);
        Assert.Equal(second, step.Argmax);
        var max = row.Max();
        var sum = row.Sum(z => Math.Exp(z - max));
        Assert.Equal(1 / sum, step.Top1Prob!.Value, 1e-5);
        Assert.Equal(8, step.Probs.VocabSize);
        Assert.Equal(256 * 2, step.Logprobs.Data.Length);
        Assert.Equal(32, step.Hidden.Count);
        await session.CompleteAsync();
    }

    [Fact]
    public async Task A_failing_op_answers_an_error_on_its_sequence_and_the_stream_goes_on()
    {
        await using var session = new DecodeSession(host.Client.Decode());
        var ok = await session.StepAsync(Ops.Open("a", GoldenModels.Llama, Prompt, Full));
        var results = await session.SendAsync(
            Ops.Append("nobody", 1),
            Ops.Open("b", "no-such-model", Prompt, Full),
            Ops.Append("a", 4000),
            Ops.Append("a", [.. Enumerable.Repeat(7, 128)]),
            Ops.Open("a", GoldenModels.Llama, Prompt, Full),
            Ops.Truncate("a", 0),
            Ops.Open("c", GoldenModels.Reward, Prompt, Full),
            Ops.Append("b", 1),
            Ops.Append("a", 5));

        Assert.Equal(["nobody", "b", "a", "a", "a", "a", "c", "b", "a"], results.Select(r => r.SeqId));
        Assert.All(results[..^1], r => Assert.Equal(SeqResult.ResultOneofCase.Error, r.ResultCase));
        var codes = results[..^1].Select(r => (StatusCode)r.Error.Code).ToList();
        Assert.Equal([StatusCode.NotFound, StatusCode.NotFound, StatusCode.InvalidArgument, StatusCode.OutOfRange, StatusCode.InvalidArgument,
            StatusCode.InvalidArgument, StatusCode.FailedPrecondition, StatusCode.NotFound], codes);
        Assert.Contains("CONTEXT_FULL", results[3].Error.Details.Where(d => d.Is(Google.Rpc.ErrorInfo.Descriptor)).Select(d => d.Unpack<Google.Rpc.ErrorInfo>().Reason));
        Assert.Equal(results.Select(r => r.Tag), results.Select(r => r.Tag).Order());
        // The sequence is where it was before the failed ops.
        Assert.Equal(ok.Length + 1, results[^1].Step.Length);
        await session.CompleteAsync();
    }

    // The draw runs in the forward call, which is all or nothing; the loop then re-runs the step with the draw on the
    // host, so only the step's outputs fail and the appended tokens stay in, as for any other failing output.
    [Fact]
    public async Task A_draw_over_overflowing_logits_fails_its_step_but_keeps_the_appended_tokens()
    {
        var sampling = new SamplingParams { DoSample = true, Temperature = float.Epsilon };
        var drawing = Ops.Append("s", 5, 6);
        drawing.Append.Outputs = new StepOutputs { Draw = true };
        await using var session = new DecodeSession(host.Client.Decode());
        await session.StepAsync(Ops.Open("s", GoldenModels.Llama, Prompt, new StepOutputs { Argmax = true }, sampling, seed: 3));
        var results = await session.SendAsync(drawing, Ops.Fork("s", "t"));

        Assert.Equal(SeqResult.ResultOneofCase.Error, results[0].ResultCase);
        Assert.StartsWith("native engine error: engine: moco_sample: logits / temperature overflowed", results[0].Error.Message, StringComparison.Ordinal);
        Assert.Equal(Prompt.Length + 2, results[1].Ack.Length);
        await session.CompleteAsync();
    }

    [Fact]
    public async Task Ops_of_many_sequences_sent_at_once_apply_in_order_per_sequence()
    {
        await using var session = new DecodeSession(host.Client.Decode());
        var ops = new List<SeqOp>();
        for (var s = 0; s < 6; s++)
        {
            ops.Add(Ops.Open($"s{s}", s % 2 == 0 ? GoldenModels.Llama : GoldenModels.Lora, Prompt, Full));
            ops.Add(Ops.Append($"s{s}", s, s + 1));
            ops.Add(Ops.Fork($"s{s}", $"t{s}"));
            ops.Add(Ops.Append($"t{s}", 9));
            ops.Add(Ops.Close($"s{s}"));
            ops.Add(Ops.Close($"t{s}"));
        }
        var results = await session.SendAsync([.. ops]);

        Assert.All(results, r => Assert.NotEqual(SeqResult.ResultOneofCase.Error, r.ResultCase));
        foreach (var group in results.GroupBy(r => r.SeqId))
        {
            Assert.Equal(group.Select(r => r.Tag).Order(), group.Select(r => r.Tag));
        }
        Assert.All(results.Where(r => r.SeqId.StartsWith('t') && r.ResultCase == SeqResult.ResultOneofCase.Step), r => Assert.Equal(Prompt.Length + 3, r.Step.Length));
        await session.CompleteAsync();
    }

    // The regression test of a deadlock (2026-12-06): the loop unregistered a cancelled job's wake-up with Dispose while
    // holding its lock, Dispose waited for that very wake-up, already running on a Kestrel thread and waiting for the
    // lock. Each op of a session is sent and answered within a minute or fails naming itself (DecodeSession), with what
    // the model's scheduler holds.
    [Fact]
    public async Task A_thousand_abandoned_streams_leave_the_kv_cache_at_baseline()
    {
        var resident = host.Registry.Acquire(GoldenModels.Llama).Base;
        for (var batch = 0; batch < 20; batch++)
        {
            await WithSchedulerState(resident, Task.WhenAll(Enumerable.Range(0, 50).Select(async i =>
            {
                var session = new DecodeSession(host.Client.Decode());
                await session.StepAsync(Ops.Open("s", i % 2 == 0 ? GoldenModels.Llama : GoldenModels.Lora, Prompt, new StepOutputs { TopK = 1 }));
                if (i % 3 == 0)
                {
                    await session.OneAsync(Ops.Fork("s", "t"));
                }
                // Never closed: the call is dropped with its sequences open, some with an op still in flight.
                if (i % 5 == 0)
                {
                    await session.SendOnlyAsync(Ops.Append("s", 1));
                }
                await session.DisposeAsync();
            })));
        }
        await host.Decode.WhenIdle().WaitAsync(TimeSpan.FromMinutes(2));

        var stats = resident.KvStats;
        Assert.Equal((stats.TotalBlocks, 0), (stats.FreeBlocks, stats.Sequences));
        // The reservations came back too: a request needing most of the cache is admitted and runs.
        var generation = await Generation.RunAsync(host.Client, ServingRequests.Generate(GoldenModels.Llama, Prompt, 100, n: 24)).WaitAsync(TimeSpan.FromMinutes(2));
        Assert.Equal(24, generation.Finals.Count);
    }

    private static async Task WithSchedulerState(MoCo.Inference.Registry.ResidentModel resident, Task batch)
    {
        try
        {
            await batch;
        }
        catch (TimeoutException e)
        {
            throw new TimeoutException($"{e.Message}; the scheduler: {resident.Scheduler.Describe()}; KV {resident.KvStats}", e);
        }
    }
}
