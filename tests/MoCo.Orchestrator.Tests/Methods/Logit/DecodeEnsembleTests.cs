using Grpc.Core;
using Grpc.Core.Interceptors;
using Grpc.Net.Client;
using MoCo.Contracts;
using MoCo.Contracts.V1;
using MoCo.Hosting.Errors;
using MoCo.Orchestrator.Methods.Primitives;
using MoCo.Orchestrator.Methods.Primitives.Grpc;
using MoCo.Testing.Inference;

namespace MoCo.Orchestrator.Tests.Methods.Logit;

/// <summary>The Decode-stream path of the logit methods (methods-logit-weight.md §3 RPCs) against GenerateEnsemble on
/// one real inference host: the same tokens, greedy or sampled, for fusion and contrast; and the fallback a
/// NOT_COLOCATED answer takes.</summary>
public sealed class DecodeEnsembleTests : IAsyncLifetime
{
    private readonly GoldenModels _models = new();
    private InferenceHost _host = null!;

    public async Task InitializeAsync() => _host = await InferenceHost.StartAsync(_models.Root);

    public async Task DisposeAsync()
    {
        await _host.DisposeAsync();
        _models.Dispose();
    }

    public static TheoryData<string, double, int> Cases => new()
    {
        { "uniform", 0, 1 },
        { "uniform", 0.9, 3 },
        { "weighted", 0, 1 },
        { "weighted", 1.3, 2 },
        { "contrastive", 0, 1 },
        { "contrastive", 0.7, 2 },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public async Task Decode_streams_fused_here_give_the_tokens_GenerateEnsemble_gives(string combination, double temperature, int samples)
    {
        var call = Call(Spec(combination), temperature, samples);

        var native = await new GrpcGenerationBackend(_host.Client).GenerateEnsembleAsync(call, default);
        var decoded = await new DecodeEnsembleBackend(_host.Client).GenerateEnsembleAsync(call, default);

        Assert.Equal(native.Select(s => (s.Text, s.FinishReason)), decoded.Select(s => (s.Text, s.FinishReason)));
        Assert.All(decoded, s => Assert.NotEmpty(s.Text));
    }

    [Fact]
    public async Task Members_on_different_replicas_fall_back_to_decode_streams_with_the_same_tokens()
    {
        var call = Call(Spec("weighted"), 0.9, 2);
        var native = await new GrpcGenerationBackend(_host.Client).GenerateEnsembleAsync(call, default);
        using var channel = GrpcChannel.ForAddress(_host.Address);
        var refusing = new RefuseEnsemble();
        var client = new InferenceService.InferenceServiceClient(channel.Intercept(refusing));

        var fallback = await new GrpcGenerationBackend(client).GenerateEnsembleAsync(call, default);

        Assert.True(refusing.Refused);
        Assert.Equal(native.Select(s => s.Text), fallback.Select(s => s.Text));
    }

    [Fact]
    public async Task Members_whose_tokenizers_disagree_are_refused_naming_both_and_the_first_differing_id()
    {
        // A copy of the causal model whose tokenizer swaps ids 65 and 66 ('A' and 'B').
        var swapped = _models.Dir("swapped-llama");
        Directory.CreateDirectory(swapped);
        foreach (var file in Directory.EnumerateFiles(_models.Dir(GoldenModels.Llama)))
        {
            File.Copy(file, Path.Combine(swapped, Path.GetFileName(file)));
        }
        var tokenizer = System.Text.Json.Nodes.JsonNode.Parse(File.ReadAllText(Path.Combine(swapped, "tokenizer.json")))!;
        var vocab = tokenizer["model"]!["vocab"]!.AsObject();
        var a = vocab.First(p => (int)p.Value! == 65).Key;
        var b = vocab.First(p => (int)p.Value! == 66).Key;
        (vocab[a], vocab[b]) = (66, 65);
        File.WriteAllText(Path.Combine(swapped, "tokenizer.json"), tokenizer.ToJsonString());
        var call = Call(new EnsembleSpec([GoldenModels.Llama, "swapped-llama"], EnsembleKind.Fuse), 0, 1);

        var error = await Assert.ThrowsAsync<RpcException>(() => new DecodeEnsembleBackend(_host.Client).GenerateEnsembleAsync(call, default));

        Assert.Equal(StatusCode.InvalidArgument, error.StatusCode);
        Assert.Contains($"'{GoldenModels.Llama}' and 'swapped-llama'", error.Status.Detail);
        Assert.Contains("id 65", error.Status.Detail);
    }

    [Fact]
    public async Task A_member_lost_mid_call_ends_it_with_that_members_error_and_cancels_the_others()
    {
        // The LoRA member's replica dies at its third step; the base member's replica never answers its third.
        using var channel = GrpcChannel.ForAddress(_host.Address);
        var faults = new MemberFaults(lost: GoldenModels.Lora, hung: GoldenModels.Llama, atStep: 3);
        var client = new InferenceService.InferenceServiceClient(channel.Intercept(faults));

        var error = await Assert.ThrowsAsync<RpcException>(() => new DecodeEnsembleBackend(client).GenerateEnsembleAsync(Call(Spec("uniform"), 0, 1), default)
            .WaitAsync(TimeSpan.FromSeconds(60)));

        Assert.Equal(StatusCode.Unavailable, error.StatusCode);
        Assert.Contains("replica lost", error.Status.Detail);
        Assert.True(faults.HungStepCancelled);
    }

    [Fact]
    public void A_per_row_constant_added_to_a_member_leaves_the_fused_distribution_unchanged()
    {
        // Raw logits and log-probs differ by such a constant: the two paths fuse the same distribution (L2, L3).
        var random = new Random(3);
        float[] a = [.. Enumerable.Range(0, 64).Select(_ => (float)(random.NextDouble() * 8 - 4))];
        float[] b = [.. Enumerable.Range(0, 64).Select(_ => (float)(random.NextDouble() * 8 - 4))];
        foreach (var spec in new[] { Spec("uniform"), Spec("weighted"), Spec("contrastive") })
        {
            var reference = Softmax(LogitFusion.Combine(spec, [a, b], 64));
            var shifted = Softmax(LogitFusion.Combine(spec, [[.. a.Select(x => x + 7.25f)], [.. b.Select(x => x - 3.5f)]], 64));
            for (var v = 0; v < 64; v++)
            {
                Assert.InRange(Math.Abs(reference[v] - shifted[v]), 0, 1e-6);
            }
        }
    }

    [Fact]
    public void Weights_one_and_zero_fuse_to_the_first_member_exactly()
    {
        float[] a = [0.5f, -1.25f, 3f];
        float[] b = [float.NegativeInfinity, 2f, 1f];

        Assert.Equal(a, LogitFusion.Combine(new EnsembleSpec(["a", "b"], EnsembleKind.Fuse) { Weights = [1, 0] }, [a, b], 3));
    }

    private static EnsembleSpec Spec(string combination) => combination switch
    {
        "uniform" => new EnsembleSpec([GoldenModels.Llama, GoldenModels.Lora], EnsembleKind.Fuse),
        "weighted" => new EnsembleSpec([GoldenModels.Llama, GoldenModels.Lora], EnsembleKind.Fuse) { Weights = [0.3, 0.9], TemplateMember = 1 },
        _ => new EnsembleSpec([GoldenModels.Lora, GoldenModels.Llama], EnsembleKind.Contrastive)
        {
            Top = [0],
            Bottom = [1],
            Lambda = 0.5,
            PlausibilityAlpha = 0.05,
            TemplateMember = 1,
        },
    };

    private static EnsembleCall Call(EnsembleSpec spec, double temperature, int samples) =>
        new(spec, "Once upon a time", "", samples, 12, temperature, 42, "");

    private static double[] Softmax(float[] z)
    {
        var max = z.Max();
        var e = z.Select(x => Math.Exp(x - max)).ToArray();
        var sum = e.Sum();
        return [.. e.Select(x => x / sum)];
    }

    // Decode streams whose replicas fail at a step: `lost`'s stream breaks (UNAVAILABLE), `hung`'s waits until its call
    // is cancelled.
    private sealed class MemberFaults(string lost, string hung, int atStep) : Interceptor
    {
        private volatile bool _hungStepCancelled;

        public bool HungStepCancelled => _hungStepCancelled;

        public override AsyncDuplexStreamingCall<TRequest, TResponse> AsyncDuplexStreamingCall<TRequest, TResponse>(ClientInterceptorContext<TRequest, TResponse> context,
            AsyncDuplexStreamingCallContinuation<TRequest, TResponse> continuation)
        {
            var call = continuation(context);
            var model = context.Options.Headers?.GetValue(RoutingHeaders.Model);
            if (model != lost && model != hung)
            {
                return call;
            }
            var cancel = context.Options.CancellationToken;
            var reader = new FailingReader<TResponse>(call.ResponseStream, atStep, model == lost ? null : cancel, () => _hungStepCancelled = true);
            return new AsyncDuplexStreamingCall<TRequest, TResponse>(call.RequestStream, reader, call.ResponseHeadersAsync, call.GetStatus, call.GetTrailers, call.Dispose);
        }
    }

    private sealed class FailingReader<T>(IAsyncStreamReader<T> inner, int atStep, CancellationToken? hangUntil, Action cancelled) : IAsyncStreamReader<T>
    {
        private int _steps;

        public T Current => inner.Current;

        public async Task<bool> MoveNext(CancellationToken cancellationToken)
        {
            if (++_steps < atStep)
            {
                return await inner.MoveNext(cancellationToken);
            }
            if (hangUntil is not { } token)
            {
                throw new RpcException(new Status(StatusCode.Unavailable, "replica lost"));
            }
            using var either = CancellationTokenSource.CreateLinkedTokenSource(token, cancellationToken);
            try
            {
                await Task.Delay(Timeout.Infinite, either.Token);
            }
            catch (OperationCanceledException)
            {
                cancelled();
            }
            throw new RpcException(new Status(StatusCode.Cancelled, "cancelled"));
        }
    }

    // A gateway whose members live on two replicas: GenerateEnsemble answers NOT_COLOCATED.
    private sealed class RefuseEnsemble : Interceptor
    {
        public bool Refused { get; private set; }

        public override AsyncServerStreamingCall<TResponse> AsyncServerStreamingCall<TRequest, TResponse>(TRequest request, ClientInterceptorContext<TRequest, TResponse> context,
            AsyncServerStreamingCallContinuation<TRequest, TResponse> continuation)
        {
            if (context.Method.Name == "GenerateEnsemble")
            {
                Refused = true;
                throw MocoErrors.Create(StatusCode.FailedPrecondition, "model is not resident on this replica",
                    new Problem("members[1].model", "NOT_COLOCATED", "ensemble members must be resident on one replica"));
            }
            return continuation(request, context);
        }
    }
}
