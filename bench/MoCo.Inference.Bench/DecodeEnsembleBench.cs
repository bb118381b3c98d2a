using System.Diagnostics;
using Grpc.Core;
using MoCo.Contracts.V1;

namespace MoCo.Inference.Bench;

/// <summary>
/// Decode steps/s with full-vocabulary log-probs against top-k (the cost of the packed row on the wire), and
/// GenerateEnsemble tokens/s with 2 and 3 members against one model in the same run (members are copies of one
/// model in their own directories, so each runs on its own loop as distinct models would), against the Decode-stream
/// path of members on different replicas and against the reference's full recompute of the sequence at every step.
/// </summary>
internal static class DecodeEnsembleBench
{
    /// <summary>Copies <paramref name="model"/>'s directory to the member names the ensemble runs use.</summary>
    public static string[] WriteMembers(string root, string model)
    {
        string[] members = [model, model + "-2", model + "-3"];
        foreach (var copy in members.Skip(1))
        {
            Directory.CreateDirectory(Path.Combine(root, copy));
            foreach (var file in Directory.EnumerateFiles(Path.Combine(root, model)))
            {
                File.Copy(file, Path.Combine(root, copy, Path.GetFileName(file)));
            }
        }
        return members;
    }

    public static async Task RunAsync(InferenceService.InferenceServiceClient client, string[] members, int[] prompt, int steps)
    {
        foreach (var member in members)
        {
            await client.LoadModelAsync(new LoadModelRequest { Model = member });
        }
        await Steps(client, members[0], prompt, new StepOutputs { Argmax = true, TopK = 5 }, 4);
        var full = await Steps(client, members[0], prompt, new StepOutputs { Argmax = true, FullLogprobs = true }, steps);
        var top = await Steps(client, members[0], prompt, new StepOutputs { Argmax = true, TopK = 5 }, steps);
        Console.WriteLine($"Decode, one sequence, {steps} steps: full-vocab log-probs {full:F0} steps/s; top-5 {top:F0} steps/s (full/top-k {full / top:F2})");

        await Ensemble(client, members[..1], prompt, 4);
        var one = await Ensemble(client, members[..1], prompt, steps);
        var two = await Ensemble(client, members[..2], prompt, steps);
        var three = await Ensemble(client, members[..3], prompt, steps);
        Console.WriteLine($"GenerateEnsemble, {steps} tokens: 1 model {one:F0} tok/s; 2 members {two:F0} tok/s ({two / one:F2}x); 3 members {three:F0} tok/s ({three / one:F2}x)");

        // The Decode-stream path of members on different replicas (KV-cached, fused by the caller), and the reference's
        // algorithm: every step each member recomputes the whole sequence (no cache), fused by the caller.
        var streamed2 = await ClientFused(client, members[..2], prompt, steps, recompute: false);
        var streamed3 = await ClientFused(client, members[..3], prompt, steps, recompute: false);
        var recompute2 = await ClientFused(client, members[..2], prompt, steps, recompute: true);
        var recompute3 = await ClientFused(client, members[..3], prompt, steps, recompute: true);
        Console.WriteLine($"Logit fusion, {steps} tokens, prompt {prompt.Length}: Decode streams fused by the caller 2 members {streamed2:F0} tok/s "
            + $"({streamed2 / one:F2}x one model), 3 members {streamed3:F0} tok/s ({streamed3 / one:F2}x); full recompute (reference) 2 members "
            + $"{recompute2:F0} tok/s, 3 members {recompute3:F0} tok/s; GenerateEnsemble / full recompute: 2 members {two / recompute2:F1}x, "
            + $"3 members {three / recompute3:F1}x");
    }

    // Greedy fusion of the members' full log-probs in the caller, one Decode stream per member. recompute: every step
    // opens a fresh sequence holding the whole sequence so far (a prefill of P + t tokens, as the reference's uncached
    // forward) and closes it; otherwise one sequence per member is opened once and appended to.
    private static async Task<double> ClientFused(InferenceService.InferenceServiceClient client, string[] members, int[] prompt, int tokens, bool recompute)
    {
        var streams = members.Select(_ => client.Decode()).ToArray();
        var outputs = new StepOutputs { FullLogprobs = true };
        var sequence = new List<int>(prompt);
        var clock = Stopwatch.StartNew();
        for (var t = 0; t < tokens; t++)
        {
            var rows = await Task.WhenAll(streams.Select(async (stream, m) =>
            {
                var request = new DecodeRequest();
                if (recompute || t == 0)
                {
                    var id = recompute ? $"s{t}" : "s";
                    var open = new OpenOp { Model = members[m], Prompt = new Prompt { Tokens = new TokenIds() }, Outputs = outputs };
                    open.Prompt.Tokens.Ids.Add(sequence);
                    request.Ops.Add(new SeqOp { SeqId = id, Open = open });
                    if (recompute)
                    {
                        request.Ops.Add(new SeqOp { SeqId = id, Close = new CloseOp() });
                    }
                }
                else
                {
                    request.Ops.Add(new SeqOp { SeqId = "s", Append = new AppendOp { TokenIds = { sequence[^1] } } });
                }
                await stream.RequestStream.WriteAsync(request);
                float[]? row = null;
                for (var answered = 0; answered < request.Ops.Count;)
                {
                    if (!await stream.ResponseStream.MoveNext())
                    {
                        throw new InvalidOperationException("the Decode stream ended early");
                    }
                    foreach (var result in stream.ResponseStream.Current.Results)
                    {
                        answered++;
                        if (result.ResultCase == SeqResult.ResultOneofCase.Error)
                        {
                            throw new InvalidOperationException($"Decode step failed: {result.Error}");
                        }
                        if (result.ResultCase == SeqResult.ResultOneofCase.Step)
                        {
                            row = System.Runtime.InteropServices.MemoryMarshal.Cast<byte, float>(result.Step.Logprobs.Data.Span).ToArray();
                        }
                    }
                }
                return row!;
            }));
            var best = 0;
            var bestValue = float.NegativeInfinity;
            for (var v = 0; v < rows[0].Length; v++)
            {
                var sum = 0f;
                foreach (var row in rows)
                {
                    sum += row[v];
                }
                if (sum > bestValue)
                {
                    (best, bestValue) = (v, sum);
                }
            }
            sequence.Add(best);
        }
        var rate = tokens / clock.Elapsed.TotalSeconds;
        foreach (var stream in streams)
        {
            await stream.RequestStream.CompleteAsync();
            while (await stream.ResponseStream.MoveNext())
            {
            }
            stream.Dispose();
        }
        return rate;
    }

    // Greedy stepping: each step appends the argmax, as a router driving a sequence does.
    private static async Task<double> Steps(InferenceService.InferenceServiceClient client, string model, int[] prompt, StepOutputs outputs, int steps)
    {
        using var call = client.Decode();
        var open = new OpenOp { Model = model, Prompt = new Prompt { Tokens = new TokenIds() }, Outputs = outputs };
        open.Prompt.Tokens.Ids.Add(prompt);
        var clock = Stopwatch.StartNew();
        await call.RequestStream.WriteAsync(new DecodeRequest { Ops = { new SeqOp { SeqId = "s", Open = open } } });
        for (var i = 0; i < steps; i++)
        {
            if (!await call.ResponseStream.MoveNext())
            {
                throw new InvalidOperationException("the Decode stream ended early");
            }
            var result = call.ResponseStream.Current.Results[0];
            if (result.ResultCase != SeqResult.ResultOneofCase.Step)
            {
                throw new InvalidOperationException($"Decode step failed: {result.Error}");
            }
            var append = new AppendOp();
            append.TokenIds.Add(result.Step.Argmax!.Value);
            await call.RequestStream.WriteAsync(new DecodeRequest { Ops = { new SeqOp { SeqId = "s", Append = append } } });
        }
        var rate = steps / clock.Elapsed.TotalSeconds;
        await call.RequestStream.CompleteAsync();
        while (await call.ResponseStream.MoveNext())
        {
        }
        return rate;
    }

    private static async Task<double> Ensemble(InferenceService.InferenceServiceClient client, string[] members, int[] prompt, int tokens)
    {
        var request = new GenerateEnsembleRequest
        {
            Prompt = new Prompt { Tokens = new TokenIds() },
            Sampling = new SamplingParams { Temperature = 0.7f, MaxNewTokens = tokens },
            InputSettings = new InputSettings { Eos = EosStop.None },
            Seed = 1,
        };
        request.Prompt.Tokens.Ids.Add(prompt);
        request.Members.Add(members.Select(m => new EnsembleMember { Model = m }));
        var clock = Stopwatch.StartNew();
        using var call = client.GenerateEnsemble(request);
        await foreach (var _ in call.ResponseStream.ReadAllAsync())
        {
        }
        return tokens / clock.Elapsed.TotalSeconds;
    }
}
