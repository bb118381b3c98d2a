using Grpc.Core;
using MoCo.Contracts.V1;
using MoCo.Evaluator.Errors;
using MoCo.Evaluator.Sandbox;
using MoCo.Evaluator.Scoring;
using MoCo.Evaluator.Tests.Support;
using SandboxLimits = MoCo.Evaluator.Sandbox.SandboxLimits;

namespace MoCo.Evaluator.Tests.Sandbox;

/// <summary>evaluation.md §6 "Coding": the tests assert add(1, 2) = 3 and add(−1, 1) = 0; the prompt declares
/// def add(a, b). Programs really run in the namespace sandbox.</summary>
[Collection(SandboxCollection.Name)]
public sealed class CodingAcceptanceTests
{
    private const string AddItem = """{"input": "Complete the code.\n\ndef add(a, b):\n    \"\"\"Add two numbers.\"\"\"\n", "test": "def check(candidate):\n    assert candidate(1, 2) == 3\n    assert candidate(-1, 1) == 0\n", "language": "python"}""";
    private const string Correct = "def add(a, b):\n    return a + b\n";

    internal static readonly SandboxLimits Fast = new() { TimeoutSeconds = 3, CpuSeconds = 3, MaxParallel = 4 };

    internal static async Task<ItemOutcome> Run(string output, CompatMode mode = CompatMode.Moco, string item = AddItem, SandboxLimits? limits = null,
        ICodeSandbox? sandbox = null)
    {
        var runtime = Runtimes.Shared;
        var scorer = new CodingScorer(Scorers.Settings(mode), limits ?? Fast, sandbox ?? runtime.Sandbox, runtime.Prompts);
        await scorer.PrepareAsync(CancellationToken.None);
        return await scorer.ScoreAsync(TestData.Inline(item), ModelOutput.Prepare(output, mode).Text, CancellationToken.None);
    }

    [SandboxFact]
    public async Task Accepted_forms_pass()
    {
        foreach (var output in new[]
        {
            "```python\n" + Correct + "```",
            Correct,
            "```python\ndef add(a, b):\n    return a - b\n```\nFixed:\n```python\n" + Correct + "```",
            "```Python\n" + Correct + "```",
            Correct + "\nif __name__ == '__main__':\n    print(add(2, 3))\n",
        })
        {
            var outcome = await Run(output);
            Assert.True(outcome.Score == 1.0, $"{output}\n→ {outcome.Detail?.SandboxStatus}: {outcome.Detail?.StderrTail}");
            Assert.Equal(SandboxStatus.Passed, outcome.Detail!.SandboxStatus);
        }
    }

    [SandboxFact]
    public async Task Failures_score_zero_with_their_status()
    {
        var wrong = await Run("def add(a, b):\n    return a * b\n");
        Assert.Equal((0.0, SandboxStatus.AssertionFailed), (wrong.Score!.Value, wrong.Detail!.SandboxStatus));
        Assert.Contains("AssertionError", wrong.Detail.StderrTail);

        var py = await Run("```py\n" + Correct + "```");
        Assert.Equal((0.0, SandboxStatus.Error), (py.Score!.Value, py.Detail!.SandboxStatus));

        var noDef = await Run("return a + b");
        Assert.Equal(0.0, noDef.Score);
        Assert.Contains(ItemFlags.NoFunction, noDef.Flags);

        var input = await Run("x = input()\n" + Correct);
        Assert.Equal((0.0, SandboxStatus.Error), (input.Score!.Value, input.Detail!.SandboxStatus));

        var memory = await Run("def add(a, b):\n    block = bytearray(1 << 30)\n    return a + b\n");
        Assert.Equal((0.0, SandboxStatus.Killed), (memory.Score!.Value, memory.Detail!.SandboxStatus));
    }

    [SandboxFact]
    public async Task The_target_function_and_the_completion_marker_differ_by_mode()
    {
        const string helperFirst = "def helper(x):\n    return x\n\ndef add(a, b):\n    return helper(a) + b\n";
        Assert.Equal(0.0, (await Run(helperFirst, CompatMode.Reference)).Score);
        Assert.Equal(1.0, (await Run(helperFirst, CompatMode.Moco)).Score);

        const string earlyExit = "import sys\ndef add(a, b):\n    return a * b\nsys.exit(0)\n";
        Assert.Equal(1.0, (await Run(earlyExit, CompatMode.Reference)).Score);
        var moco = await Run(earlyExit, CompatMode.Moco);
        Assert.Equal((0.0, SandboxStatus.Error), (moco.Score!.Value, moco.Detail!.SandboxStatus));
    }

    [SandboxFact]
    public async Task An_infinite_loop_times_out()
    {
        var outcome = await Run("def add(a, b):\n    while True:\n        pass\n", limits: Fast with { TimeoutSeconds = 2 });
        Assert.Equal((0.0, SandboxStatus.Timeout), (outcome.Score!.Value, outcome.Detail!.SandboxStatus));
    }

    [SandboxFact]
    public async Task Empty_tests_are_invalid_gold_without_running()
    {
        var item = """{"input": "def add(a, b):", "test": "", "language": "python"}""";
        var outcome = await Run(Correct, item: item);
        Assert.Equal(0.0, outcome.Score);
        Assert.Contains(ItemFlags.InvalidGold, outcome.Flags);
        Assert.Null(outcome.Detail);
    }

    [Fact]
    public async Task No_interpreter_is_a_failed_precondition_naming_the_config_key()
    {
        var locator = new PythonLocator(_ => null);
        var e = await Assert.ThrowsAsync<EvaluatorException>(() => locator.FindAsync("/nonexistent/python3", CancellationToken.None));
        Assert.Equal((StatusCode.FailedPrecondition, Reasons.SandboxUnavailable), (e.Code, e.Problems[0].Reason));
        Assert.Contains("evaluation.sandbox.python", e.Message);
        Assert.Contains("/nonexistent/python3", e.Message);
    }

    [Fact]
    public async Task The_environment_variable_wins_over_the_config_key()
    {
        var locator = new PythonLocator(name => name == "MOCO_SANDBOX_PYTHON" ? "/nonexistent/env-python" : null);
        var e = await Assert.ThrowsAsync<EvaluatorException>(() => locator.FindAsync("python3", CancellationToken.None));
        Assert.Contains("MOCO_SANDBOX_PYTHON", e.Message);
        Assert.Contains("/nonexistent/env-python", e.Message);
    }

    [Fact]
    public async Task A_shim_on_path_resolves_to_the_real_executable()
    {
        var python = await new PythonLocator(_ => null).FindAsync(null, CancellationToken.None);
        Assert.True(File.Exists(python.Executable));
        Assert.True(python.Version >= PythonInterpreter.Minimum);
        // sys.executable is the binary itself, never a shell-script shim.
        using var head = File.OpenRead(python.Executable);
        var magic = new byte[4];
        head.ReadExactly(magic);
        Assert.Equal("\u007fELF", System.Text.Encoding.ASCII.GetString(magic));
    }
}

[CollectionDefinition(Name)]
public sealed class SandboxCollection
{
    public const string Name = "sandbox";
}
