using System.Runtime.InteropServices;
using Grpc.Core;
using MoCo.Contracts.V1;
using MoCo.Hosting.Errors;
using MoCo.Inference.Weights;
using MoCo.Testing.Inference;

namespace MoCo.Inference.Tests.Training;

/// <summary>COLLM_DEFERRAL Train jobs (methods-api.md §8 steps 4–5): the probe vector g, the added vocabulary entry, the
/// marginal-likelihood fine-tuning.</summary>
[Collection(TrainCollection.Name)]
public sealed class DeferralTrainTests(TrainHost host)
{
    private const string Defer = "<|defer|>";
    private const int Vocabulary = 256;

    [Fact]
    public async Task The_trained_model_has_the_deferral_entry_as_its_last_id_with_head_row_g()
    {
        var job = Job("collm-rows", learningRate: 0);

        var responses = await host.RunAsync(job, [Example("Q1:", "hello", [0, 1, 1, 0, 0], -0.5f)]);

        Assert.Equal("collm-rows", responses[^1].Done.ModelId);
        var tokenize = new TokenizeRequest { Model = "collm-rows" };
        tokenize.Inputs.Add(new Prompt { Text = "a" + Defer });
        var ids = (await host.Client.TokenizeAsync(tokenize)).Results[0].TokenIds;
        Assert.Equal(new[] { (int)'a', Vocabulary }, ids);
        // With a zero learning rate g keeps its start, the mean of the head's rows, which phase 2 leaves as it is.
        var (trained, original) = (Head(Path.Combine(host.Trained, "collm-rows")), Head(host.Models.Dir(GoldenModels.Llama)));
        Assert.Equal((Vocabulary + 1) * 32, trained.Length);
        Assert.Equal(original, trained[..(Vocabulary * 32)]);
        for (var k = 0; k < 32; k++)
        {
            var mean = Enumerable.Range(0, Vocabulary).Sum(r => (double)original[(r * 32) + k]) / Vocabulary;
            Assert.Equal(mean, trained[(Vocabulary * 32) + k], 6);
        }
    }

    [Fact]
    public async Task A_confident_mentor_teaches_more_deferral_than_a_hopeless_one()
    {
        int[] labels = [1, 1, 1, 1, 1];
        await host.RunAsync(Job("collm-good"), [Example("Q1:", "hello", labels, 0f)]);
        await host.RunAsync(Job("collm-bad"), [Example("Q1:", "hello", labels, -30f)]);

        Assert.True(await DeferLogprob("collm-good") > await DeferLogprob("collm-bad") + 1,
            $"log p(defer): {await DeferLogprob("collm-good")} with a confident mentor, {await DeferLogprob("collm-bad")} with a hopeless one");
    }

    [Fact]
    public async Task Bad_deferral_jobs_name_the_field()
    {
        var noToken = Job("collm-no-token");
        noToken.AddToken = null;
        noToken.Lora = new LoraConfig { R = 4 };
        var error = await Assert.ThrowsAsync<RpcException>(() => host.RunAsync(noToken, [Example("Q1:", "hi", [0, 0], -1f)]));
        Assert.Equal(["job.add_token", "job.lora"], MocoErrors.FieldViolations(error).Select(v => v.Field).Order(StringComparer.Ordinal));

        var known = Job("collm-known");
        known.AddToken = "a";
        var taken = await Assert.ThrowsAsync<RpcException>(() => host.RunAsync(known, [Example("Q1:", "hi", [0, 0], -1f)]));
        Assert.Equal("job.add_token", Assert.Single(MocoErrors.FieldViolations(taken)).Field);

        var counts = await Assert.ThrowsAsync<RpcException>(() => host.RunAsync(Job("collm-counts"), [Example("Q1:", "hi", [0, 0, 1], -0.5f)]));
        Assert.Equal(["examples[0].deferral.deferral_labels", "examples[0].deferral.mentor_logprobs"],
            MocoErrors.FieldViolations(counts).Select(v => v.Field).Order(StringComparer.Ordinal));
    }

    private static TrainJob Job(string id, double learningRate = 5e-3) => new()
    {
        Kind = TrainKind.CollmDeferral,
        BaseModel = GoldenModels.Llama,
        OutputId = id,
        AddToken = Defer,
        Hyper = new TrainHyper { LearningRate = learningRate, Epochs = 20, GradAccum = 1, WarmupRatio = 0, Schedule = LrSchedule.Constant },
    };

    // Labels are per completion token; the mentor's log-prob is the same at every token.
    private static TrainExample Example(string prompt, string completion, int[] labels, float mentor)
    {
        var target = new DeferralTarget { Completion = new Continuation { Text = completion } };
        target.DeferralLabels.Add(labels);
        target.MentorLogprobs.Add(labels.Select(_ => mentor));
        return new TrainExample { Prompt = new Prompt { Text = prompt }, Deferral = target };
    }

    private async Task<double> DeferLogprob(string model)
    {
        var tokens = new TokenIds();
        tokens.Ids.Add(Vocabulary);
        return (await host.Client.ScoreAsync(new ScoreRequest
        {
            Model = model,
            Prompt = new Prompt { Text = "Q1:he" },
            Continuation = new Continuation { Tokens = tokens },
        })).SumLogprob;
    }

    private static float[] Head(string directory)
    {
        var head = SafetensorsTensors.Read(directory).Single(t => t.Name == "lm_head.weight");
        using var reader = new TensorReader();
        return MemoryMarshal.Cast<byte, float>(reader.ReadAll(head)).ToArray();
    }
}
