using MoCo.Contracts.V1;
using MoCo.Evaluator.Judges;
using MoCo.Evaluator.Tests.Support;
using static MoCo.Evaluator.Tests.Support.EvaluatorCalls;

namespace MoCo.Evaluator.Tests.Service;

/// <summary>Every task type and every shared MoCo dataset evaluates through the service: a few items of each split,
/// model-backed types against the substitute inference service, coding in the sandbox.</summary>
// Serialised with the other sandbox tests, whose leftover checks look at every sandbox of the process.
[Collection(MoCo.Evaluator.Tests.Sandbox.SandboxCollection.Name)]
public sealed class AllDatasetsTests(EvaluatorServiceFixture service) : IClassFixture<EvaluatorServiceFixture>
{
    public static TheoryData<string> Tasks => [.. Directory.EnumerateFiles(TestData.Directory, "*.json").Select(f => Path.GetFileNameWithoutExtension(f)).Order()];

    [Theory]
    [MemberData(nameof(Tasks))]
    public async Task Every_dataset_evaluates(string task)
    {
        service.Fake.Models.UnionWith([JudgeRole.Verifier.DefaultModel, JudgeRole.RewardModel.DefaultModel, JudgeRole.Encoder.DefaultModel]);
        service.Fake.OnGenerate = _ => "Final Decision: Yes";
        service.Fake.OnScore = _ => new ScoreResponse { Values = { 1.5f } };
        service.Fake.OnEmbed = r => new EmbedResponse { Vectors = { r.Texts.Select((_, i) => new EmbeddingVector { Values = { 1f, i } }) } };
        var isCoding = TestData.File(task).DeclaredType == "coding";
        if (isCoding && !MoCo.Evaluator.Sandbox.SandboxRunner.IsRoot)
        {
            return; // the namespace sandbox needs root; SandboxFact tests report the skip
        }
        foreach (var split in new[] { Split.Dev, Split.Test })
        {
            var header = Header(task, split, limit: 3);
            header.Sandbox = new SandboxLimits { TimeoutS = 5 };
            var outputs = new[] { "A", "\\boxed{42}", isCoding ? "def f(x):\n    return x\n" : "I'm sorry, I cannot." };
            var (results, summary) = await service.Client.EvaluateAsync(header, outputs.Select(o => Output(o)));
            Assert.Equal(3, summary.N);
            Assert.Equal((3, 0), (summary.NScored, summary.NErrors));
            Assert.Equal(3, results.Count);
            Assert.False(string.IsNullOrEmpty(summary.Metric));
        }
    }

    [Fact]
    public async Task ListTasks_lists_every_type_and_dataset()
    {
        var reply = await service.Client.ListTasksAsync(new ListTasksRequest());
        Assert.Equal(["multiple_choice", "exact_match", "f1_match", "general_verifier", "noncompliance", "reward_model", "text_generation", "coding",
            "generation_diversity"], reply.TaskTypes.Select(t => t.Name));
        Assert.True(reply.TaskTypes.Single(t => t.Name == "exact_match").Available);
        Assert.Equal(["input|question|prompt", "test|test_code"], reply.TaskTypes.Single(t => t.Name == "coding").RequiredFields);
        var gsm8k = reply.Datasets.Single(d => d.Task == "gsm8k");
        Assert.Equal(("exact_match", 200, 1000, "faithful (rules)"), (gsm8k.DeclaredType, gsm8k.NDev, gsm8k.NTest, gsm8k.Status));
        Assert.Contains("general_verifier", gsm8k.CompatibleTypes);
        Assert.DoesNotContain("multiple_choice", gsm8k.CompatibleTypes);
        Assert.Equal(Tasks.Count, reply.Datasets.Count(d => d.File.StartsWith(TestData.Directory, StringComparison.Ordinal)));
        Assert.Equal(7 + 5, reply.Datasets.Single(d => d.Task == "math").WarningCount);
    }
}
