using Grpc.Core;
using MoCo.Contracts.V1;
using MoCo.Hosting.Errors;
using MoCo.Inference.Tests.Decode;
using MoCo.Inference.Tests.Serving;
using ServingRequests = MoCo.Inference.Tests.Serving.Requests;
using MoCo.Native.Kernels;
using MoCo.Testing.Inference;

namespace MoCo.Inference.Tests.Ensemble;

[Collection(DecodeCollection.Name)]
public sealed class EnsembleTests(DecodeHost host)
{
    private static readonly int[] Prompt = GoldenModels.GoldenCase("llama_gqa_rope_llama3", 0).Prompt;

    [Fact]
    public async Task Weights_one_and_zero_reproduce_the_first_model_alone()
    {
        await LoadAsync(GoldenModels.Llama, GoldenModels.Lora);
        var request = Ensemble(temperature: 0.8f, seed: 5, n: 2, (GoldenModels.Llama, 1f), (GoldenModels.Lora, 0f));

        var (header, tokens) = await RunAsync(request);

        Assert.Equal([GoldenModels.Llama, GoldenModels.Lora], header.MemberModelIds);
        Assert.Equal((256, 5UL, GoldenModels.Llama), (header.AlignedVocabSize, header.Seed, header.ModelId));
        Assert.Equal(await GenerateAsync(GoldenModels.Llama, 0.8f, 5, 2), tokens);
    }

    [Fact]
    public async Task A_model_with_itself_is_that_model()
    {
        await LoadAsync(GoldenModels.Lora);
        var request = Ensemble(temperature: 1.1f, seed: 9, n: 3, (GoldenModels.Lora, null), (GoldenModels.Lora, null));

        var (_, tokens) = await RunAsync(request);

        Assert.Equal(await GenerateAsync(GoldenModels.Lora, 1.1f, 9, 3), tokens);
    }

    [Fact]
    public async Task Contrast_with_the_plausibility_cut_follows_the_kernels_applied_directly()
    {
        await LoadAsync(GoldenModels.Llama, EnsembleModels.Narrow);
        // Ids below V* only: the narrow member has no rows past it.
        var prompt = GoldenModels.Ids("Once upon a");
        var request = Ensemble(temperature: 0f, seed: 1, n: 1, (GoldenModels.Llama, null), (EnsembleModels.Narrow, null));
        request.Prompt.Tokens.Ids.Clear();
        request.Prompt.Tokens.Ids.Add(prompt);
        request.Mode = EnsembleMode.Contrastive;
        request.Top.Add(0);
        request.Bottom.Add(1);
        request.Lambda = 0.5f;
        request.PlausibilityAlpha = 0.1f;

        var (header, tokens) = await RunAsync(request);

        Assert.Equal(EnsembleModels.NarrowRows, header.AlignedVocabSize);
        var expected = new List<int>();
        var combined = new float[EnsembleModels.NarrowRows];
        while (expected.Count < Tokens)
        {
            int[] sequence = [.. prompt, .. expected];
            var top = NativeReference.LastRow(host.Models.Dir(GoldenModels.Llama), sequence);
            var bottom = NativeReference.LastRow(host.Models.Dir(EnsembleModels.Narrow), sequence);
            Logits.Contrast([top, bottom], 0.5f, 1, EnsembleModels.NarrowRows, combined, [256, EnsembleModels.NarrowRows]);
            Logits.PlausibilityCut(top, 256, 0.1f, 1, EnsembleModels.NarrowRows, combined);
            expected.Add(Array.IndexOf(combined, combined.Max()));
        }
        Assert.Equal(expected, Assert.Single(tokens));
    }

    [Fact]
    public async Task Members_that_cannot_be_aligned_are_invalid_naming_the_models()
    {
        await LoadAsync(GoldenModels.Llama, EnsembleModels.Narrow, EnsembleModels.Swapped);
        var exact = Ensemble(temperature: 0f, seed: 1, n: 1, (GoldenModels.Llama, null), (EnsembleModels.Narrow, null));
        exact.VocabAlignment = Contracts.V1.VocabAlignment.Exact;
        var swapped = Ensemble(temperature: 0f, seed: 1, n: 1, (GoldenModels.Llama, null), (EnsembleModels.Swapped, null));

        foreach (var (request, other, detail) in new[] { (exact, EnsembleModels.Narrow, "256"), (swapped, EnsembleModels.Swapped, EnsembleModels.SwappedId.ToString(System.Globalization.CultureInfo.InvariantCulture)) })
        {
            var error = await ErrorAsync(request);
            Assert.Equal(StatusCode.InvalidArgument, error.StatusCode);
            var violation = Assert.Single(MocoErrors.FieldViolations(error));
            Assert.Equal("members", violation.Field);
            Assert.Contains(GoldenModels.Llama, violation.Description);
            Assert.Contains(other, violation.Description);
            Assert.Contains(detail, violation.Description);
        }
    }

    [Fact]
    public async Task A_member_not_resident_here_is_not_colocated_and_sampling_is_limited_to_l5()
    {
        await LoadAsync(GoldenModels.Llama);
        var error = await ErrorAsync(Ensemble(temperature: 0f, seed: 1, n: 1, (GoldenModels.Llama, null), (EnsembleModels.Idle, null)));
        Assert.Equal(StatusCode.FailedPrecondition, error.StatusCode);
        var info = Assert.Single(MocoErrors.ErrorInfos(error));
        Assert.Equal(("NOT_COLOCATED", EnsembleModels.Idle), (info.Reason, info.Metadata["model"]));

        var processors = Ensemble(temperature: 1f, seed: 1, n: 1, (GoldenModels.Llama, null));
        processors.Sampling.TopP = 0.9f;
        processors.Sampling.RepetitionPenalty = 1.2f;
        var invalid = await ErrorAsync(processors);
        Assert.Equal(StatusCode.InvalidArgument, invalid.StatusCode);
        Assert.Equal(["sampling.repetition_penalty", "sampling.top_p"], MocoErrors.FieldViolations(invalid).Select(v => v.Field).Order());
    }

    private const int Tokens = 12;

    private async Task LoadAsync(params string[] models)
    {
        foreach (var model in models)
        {
            await host.Client.LoadModelAsync(new LoadModelRequest { Model = model });
        }
    }

    private static GenerateEnsembleRequest Ensemble(float temperature, ulong seed, int n, params (string Model, float? Weight)[] members)
    {
        var request = new GenerateEnsembleRequest
        {
            Prompt = new Prompt { Tokens = new TokenIds() },
            Sampling = new SamplingParams { Temperature = temperature, MaxNewTokens = Tokens },
            InputSettings = new InputSettings { Eos = EosStop.None },
            Seed = seed,
            N = n,
        };
        request.Prompt.Tokens.Ids.Add(Prompt);
        request.Members.Add(members.Select(m => new EnsembleMember { Model = m.Model, Weight = m.Weight }));
        return request;
    }

    private async Task<(GenerateHeader Header, List<List<int>> Tokens)> RunAsync(GenerateEnsembleRequest request)
    {
        using var call = host.Client.GenerateEnsemble(request);
        GenerateHeader? header = null;
        var finals = new List<GenerateFinal>();
        await foreach (var message in call.ResponseStream.ReadAllAsync())
        {
            if (message.PayloadCase == GenerateEnsembleResponse.PayloadOneofCase.Header)
            {
                header = message.Header;
            }
            else if (message.PayloadCase == GenerateEnsembleResponse.PayloadOneofCase.Final)
            {
                Assert.Equal(FinishReason.Length, message.Final.FinishReason);
                finals.Add(message.Final);
            }
        }
        return (header!, [.. finals.OrderBy(f => f.SampleIndex).Select(f => f.TokenIds.ToList())]);
    }

    // Generate under L5 alone: the temperature, no processor.
    private async Task<List<List<int>>> GenerateAsync(string model, float temperature, ulong seed, int n)
    {
        var request = ServingRequests.Generate(model, Prompt, Tokens, seed: seed, n: n);
        request.Sampling = new SamplingParams { DoSample = true, Temperature = temperature, TopK = 0, TopP = 1, MinP = 0, RepetitionPenalty = 1, MaxNewTokens = Tokens };
        var generation = await Generation.RunAsync(host.Client, request);
        return [.. generation.Finals.Select(f => f.TokenIds.ToList())];
    }

    private async Task<RpcException> ErrorAsync(GenerateEnsembleRequest request)
    {
        using var call = host.Client.GenerateEnsemble(request);
        return await Assert.ThrowsAsync<RpcException>(() => call.ResponseStream.MoveNext(CancellationToken.None));
    }
}
