using System.Text;
using Grpc.Core;
using MoCo.Contracts.V1;
using MoCo.Hosting.Errors;
using MoCo.Testing.Inference;

namespace MoCo.Inference.Tests.Serving;

[Collection(ServingCollection.Name)]
public sealed class GenerateTests(ServingHost host)
{
    private static readonly (int[] Prompt, int[] Greedy, System.Text.Json.JsonElement Case) Golden = GoldenModels.GoldenCase("llama_gqa_rope_llama3", 0);

    [Fact]
    public async Task Greedy_tokens_equal_the_oracles_recorded_path_and_the_engine_argmax_path()
    {
        var generation = await Generation.RunAsync(host.Client, Requests.Generate(GoldenModels.Llama, Golden.Prompt, Golden.Greedy.Length));

        var final = Assert.Single(generation.Finals);
        // Every recorded margin is far above the golden tolerance, so the path is exact.
        Assert.All(Golden.Case.GetProperty("margins").EnumerateArray(), m => Assert.True(m.GetDouble() > 1e-3));
        Assert.Equal(Golden.Greedy, final.TokenIds);
        Assert.Equal(NativeReference.Greedy(host.Models.Dir(GoldenModels.Llama), Golden.Prompt, Golden.Greedy.Length), final.TokenIds);
        Assert.Equal(FinishReason.Length, final.FinishReason);
        Assert.Equal((Golden.Prompt.Length, Golden.Greedy.Length, 0), (final.Usage.PromptTokens, final.Usage.CompletionTokens, final.Usage.CachedPromptTokens));
        Assert.Equal((GoldenModels.Llama, Golden.Prompt.Length, Golden.Greedy.Length), (generation.Header.ModelId, generation.Header.PromptTokens, generation.Header.MaxNewTokens));
    }

    [Fact]
    public async Task Streamed_deltas_add_up_to_each_final_and_never_split_a_character()
    {
        var request = Requests.Generate(GoldenModels.Llama, Golden.Prompt, 40, sample: true, seed: 11, n: 3);
        request.Logprobs = new LogprobOptions { Enabled = true, TopK = 3 };
        var generation = await Generation.RunAsync(host.Client, request);

        Assert.Equal(3, generation.Finals.Count);
        foreach (var final in generation.Finals)
        {
            var deltas = generation.Of(final.SampleIndex).ToList();
            Assert.Equal(final.TokenIds, deltas.SelectMany(d => d.TokenIds));
            Assert.Equal(final.Text, string.Concat(deltas.Select(d => d.Text)));
            Assert.All(deltas, d => Assert.False(d.Text.Length > 0 && char.IsHighSurrogate(d.Text[^1])));
            // Byte-level ids: the text is the UTF-8 decoding of the ids' bytes, invalid sequences as U+FFFD.
            Assert.Equal(Encoding.UTF8.GetString([.. final.TokenIds.Select(t => (byte)t)]), final.Text);
            var logprobs = deltas.SelectMany(d => d.Logprobs).ToList();
            Assert.Equal(final.TokenIds, logprobs.Select(l => l.TokenId));
            Assert.All(logprobs, l => Assert.Equal(3, l.Top.Count));
            Assert.All(logprobs, l => Assert.True(l.Value <= l.Top[0].Value && l.Top[0].Value <= 0));
            Assert.Equal(final.SampleIndex == 0 ? 0 : Golden.Prompt.Length, final.Usage.CachedPromptTokens);
        }
        Assert.Equal(11UL, generation.Header.Seed);
    }

    // With every processor off the processed row is the raw one, so both sources report the same values bit for bit
    // for every sample: the forks' first tokens come from the prompt's row, the rest with the forward's draws.
    [Fact]
    public async Task Processed_logprobs_with_every_processor_off_equal_the_raw_ones_for_every_sample()
    {
        GenerateRequest Request(LogprobSource source)
        {
            var request = Requests.Generate(GoldenModels.Llama, Golden.Prompt, 5, sample: true, seed: 21, n: 3);
            (request.Sampling.Temperature, request.Sampling.TopK, request.Sampling.TopP) = (1f, 0, 1f);
            (request.Sampling.MinP, request.Sampling.RepetitionPenalty) = (0f, 1f);
            request.Logprobs = new LogprobOptions { Enabled = true, Source = source, TopK = 2, FullVocab = true };
            return request;
        }
        var raw = await Generation.RunAsync(host.Client, Request(LogprobSource.Raw));
        var processed = await Generation.RunAsync(host.Client, Request(LogprobSource.Processed));

        Assert.Equal(raw.Finals.OrderBy(f => f.SampleIndex).Select(f => f.TokenIds), processed.Finals.OrderBy(f => f.SampleIndex).Select(f => f.TokenIds));
        for (var i = 0; i < 3; i++)
        {
            var expected = raw.Of(i).SelectMany(d => d.Logprobs).ToList();
            var actual = processed.Of(i).SelectMany(d => d.Logprobs).ToList();
            Assert.Equal(5, actual.Count);
            Assert.Equal(expected.Select(l => (l.Value, l.Full.Data)), actual.Select(l => (l.Value, l.Full.Data)));
            Assert.Equal(expected.SelectMany(l => l.Top), actual.SelectMany(l => l.Top));
        }
    }

    [Fact]
    public async Task Concurrent_seeded_requests_give_the_tokens_they_give_one_at_a_time()
    {
        var requests = Enumerable.Range(0, InferenceHost.QueueLimit)
            .Select(i => Requests.Generate(GoldenModels.Llama, Golden.Prompt.Skip(i % 3).Append(i), 12 + i, sample: true, seed: (ulong)(100 + i), n: 1 + i % 2))
            .ToList();
        var alone = new List<Generation>();
        foreach (var request in requests)
        {
            alone.Add(await Generation.RunAsync(host.Client, request));
        }

        // Held, so all eight join one batch together once released.
        List<Generation> together;
        using (var hold = host.Hold(GoldenModels.Llama))
        {
            var calls = requests.Select(r => host.Client.Generate(r)).ToList();
            foreach (var call in calls)
            {
                Assert.True(await call.ResponseStream.MoveNext());
            }
            hold.Dispose();
            together = [.. await Task.WhenAll(calls.Select(ReadRest))];
            calls.ForEach(c => c.Dispose());
        }

        for (var i = 0; i < requests.Count; i++)
        {
            Assert.Equal(alone[i].Finals.Select(f => f.TokenIds.ToList()), together[i].Finals.Select(f => f.TokenIds.ToList()));
        }
    }

    [Fact]
    public async Task Cancelling_a_running_generation_frees_its_kv_blocks_and_the_queue_keeps_serving()
    {
        var resident = host.Registry.Acquire(GoldenModels.Llama).Base;
        var total = resident.KvStats.TotalBlocks;
        using var cts = new CancellationTokenSource();
        using (var hold = host.Hold(GoldenModels.Llama))
        {
            using var call = host.Client.Generate(Requests.Generate(GoldenModels.Llama, Golden.Prompt, 100), cancellationToken: cts.Token);
            Assert.True(await call.ResponseStream.MoveNext());
            hold.Allow(2);
            await MoCo.Testing.Eventually.TrueAsync(() => resident.KvStats.FreeBlocks < total, "the generation holds blocks");
            await cts.CancelAsync();
            await MoCo.Testing.Eventually.TrueAsync(() => resident.KvStats is { Sequences: 0 } s && s.FreeBlocks == total, "the cancelled generation's blocks are free while the loop is held");
            var error = await Assert.ThrowsAsync<RpcException>(async () => await Generation.ReadAsync(call));
            Assert.Equal(StatusCode.Cancelled, error.StatusCode);
        }

        var after = await Generation.RunAsync(host.Client, Requests.Generate(GoldenModels.Llama, Golden.Prompt, 4));
        Assert.Equal(Golden.Greedy[..4], after.Finals[0].TokenIds);
    }

    [Fact]
    public async Task A_full_queue_refuses_with_resource_exhausted()
    {
        using var hold = host.Hold(GoldenModels.Llama);
        var waiting = Enumerable.Range(0, InferenceHost.QueueLimit).Select(_ => host.Client.Generate(Requests.Generate(GoldenModels.Llama, Golden.Prompt, 2))).ToList();
        foreach (var call in waiting)
        {
            Assert.True(await call.ResponseStream.MoveNext());
        }

        using var overflow = host.Client.Generate(Requests.Generate(GoldenModels.Llama, Golden.Prompt, 2));
        var error = await Assert.ThrowsAsync<RpcException>(() => overflow.ResponseStream.MoveNext());
        Assert.Equal(StatusCode.ResourceExhausted, error.StatusCode);
        Assert.Equal("QUEUE_FULL", Assert.Single(MocoErrors.ErrorInfos(error)).Reason);

        hold.Dispose();
        foreach (var call in waiting)
        {
            Assert.Equal(Golden.Greedy[..2], (await ReadRest(call)).Finals[0].TokenIds);
            call.Dispose();
        }
    }

    [Fact]
    public async Task Stop_strings_cut_the_text_and_are_held_back_from_deltas()
    {
        // The greedy path's bytes: '1' '$' C2 A4 (¤) ')' B4 CF '6' '6' '6' 'n' 'w' …
        var request = Requests.Generate(GoldenModels.Llama, Golden.Prompt, Golden.Greedy.Length);
        request.InputSettings.StopStrings.Add("66n");
        request.InputSettings.StopStrings.Add("zzz");
        var generation = await Generation.RunAsync(host.Client, request);

        var final = Assert.Single(generation.Finals);
        Assert.Equal(FinishReason.StopString, final.FinishReason);
        Assert.Equal("66n", final.StopMatch);
        Assert.Equal("1$¤)\uFFFD\uFFFD6", final.Text);
        Assert.Equal(final.Text, string.Concat(generation.Deltas.Select(d => d.Text)));
        Assert.Equal(Golden.Greedy[..11], final.TokenIds);

        request.InputSettings.IncludeStop = true;
        var included = Assert.Single((await Generation.RunAsync(host.Client, request)).Finals);
        Assert.Equal("1$¤)\uFFFD\uFFFD666n", included.Text);
    }

    [Fact]
    public async Task Stop_ids_end_a_sample_with_their_text_as_the_match()
    {
        var request = Requests.Generate(GoldenModels.Llama, Golden.Prompt, Golden.Greedy.Length);
        request.InputSettings.StopTokenIds.Add(41);
        var final = Assert.Single((await Generation.RunAsync(host.Client, request)).Finals);
        Assert.Equal((FinishReason.StopToken, ")"), (final.FinishReason, final.StopMatch));
        Assert.Equal(Golden.Greedy[..5], final.TokenIds);
    }

    [Fact]
    public async Task A_prompt_filling_the_context_ends_at_once_with_context_and_one_too_long_is_refused()
    {
        var full = Enumerable.Repeat(65, 128).ToArray();
        var final = Assert.Single((await Generation.RunAsync(host.Client, Requests.Generate(GoldenModels.Llama, full, 5))).Finals);
        Assert.Equal((FinishReason.Context, 0), (final.FinishReason, final.TokenIds.Count));

        var nearly = Enumerable.Repeat(65, 125).ToArray();
        var capped = await Generation.RunAsync(host.Client, Requests.Generate(GoldenModels.Llama, nearly, 50));
        Assert.Equal((3, FinishReason.Context, 3), (capped.Header.MaxNewTokens, capped.Finals[0].FinishReason, capped.Finals[0].TokenIds.Count));

        var error = await Assert.ThrowsAsync<RpcException>(() => Generation.RunAsync(host.Client, Requests.Generate(GoldenModels.Llama, [.. full, 65], 5)));
        Assert.Equal((StatusCode.InvalidArgument, "PROMPT_TOO_LONG"), (error.StatusCode, MocoErrors.ErrorInfos(error)[0].Reason));
    }

    [Fact]
    public async Task Unknown_models_bad_values_and_classifiers_are_refused_with_their_status()
    {
        var missing = await Assert.ThrowsAsync<RpcException>(() => Generation.RunAsync(host.Client, Requests.Generate("nobody/nothing", [1], 2)));
        Assert.Equal(StatusCode.NotFound, missing.StatusCode);

        var bad = Requests.Generate(GoldenModels.Llama, [1], 2);
        bad.Sampling.TopP = 2;
        var invalid = await Assert.ThrowsAsync<RpcException>(() => Generation.RunAsync(host.Client, bad));
        Assert.Equal((StatusCode.InvalidArgument, "sampling.top_p"), (invalid.StatusCode, MocoErrors.FieldViolations(invalid)[0].Field));

        var classifier = await Assert.ThrowsAsync<RpcException>(() => Generation.RunAsync(host.Client, Requests.Generate(GoldenModels.Reward, [1], 2)));
        Assert.Equal(StatusCode.FailedPrecondition, classifier.StatusCode);
        Assert.Contains("sequence classifier (LlamaForSequenceClassification)", classifier.Status.Detail);
    }

    [Fact]
    public async Task Tokenize_and_detokenize_answer_an_adapter_with_its_bases_tokenizer()
    {
        async Task<int[]> Ids(string model)
        {
            var request = new TokenizeRequest { Model = model };
            request.Inputs.Add(new Prompt { Text = "adapter text" });
            return [.. (await host.Client.TokenizeAsync(request)).Results[0].TokenIds];
        }

        var ids = await Ids(GoldenModels.Lora);
        Assert.Equal(await Ids(GoldenModels.Llama), ids);
        var detokenize = new DetokenizeRequest { Model = GoldenModels.Lora };
        detokenize.Sequences.Add(new TokenIds { Ids = { ids } });
        Assert.Equal("adapter text", Assert.Single((await host.Client.DetokenizeAsync(detokenize)).Texts));
    }

    [Fact]
    public async Task An_adapter_changes_the_output_and_a_zero_adapter_does_not()
    {
        var plain = (await Generation.RunAsync(host.Client, Requests.Generate(GoldenModels.Llama, Golden.Prompt, 16))).Finals[0].TokenIds;
        var lora = (await Generation.RunAsync(host.Client, Requests.Generate(GoldenModels.Lora, Golden.Prompt, 16))).Finals[0].TokenIds;
        var zero = (await Generation.RunAsync(host.Client, Requests.Generate(GoldenModels.ZeroLora, Golden.Prompt, 16))).Finals[0].TokenIds;

        Assert.Equal(plain, zero);
        Assert.NotEqual(plain, lora);
        Assert.Equal(NativeReference.Greedy(host.Models.Dir(GoldenModels.Llama), Golden.Prompt, 16, host.Models.Dir(GoldenModels.Lora)), lora);
        var listed = (await host.Client.ListModelsAsync(new ListModelsRequest())).Models;
        Assert.Contains(listed, m => m.Id == GoldenModels.Lora && m.Resident && m.Kind == ModelKind.Adapter && m.BaseModel == GoldenModels.Llama);
    }

    private static Task<Generation> ReadRest(AsyncServerStreamingCall<GenerateResponse> call) =>
        Generation.ReadAsync(call, call.ResponseStream.Current.Header);
}
