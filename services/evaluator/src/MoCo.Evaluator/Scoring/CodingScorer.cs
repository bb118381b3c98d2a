using Google.Rpc;
using MoCo.Contracts.V1;
using MoCo.Evaluator.Datasets;
using MoCo.Evaluator.Prompts;
using MoCo.Evaluator.Sandbox;
using MoCo.Evaluator.Tasks;
using SandboxLimits = MoCo.Evaluator.Sandbox.SandboxLimits;
using DatasetItem = MoCo.Evaluator.Datasets.DatasetItem;

namespace MoCo.Evaluator.Scoring;

/// <summary>
/// coding (evaluation.md §2.8): extract the code, bind `candidate`, run the item's tests in the sandbox. Pass (1.0)
/// iff exit status 0, no "AssertionError" on stderr and, in `moco`, the completion marker on stdout; a program that
/// floods its output past the cap is killed and fails (status killed, flag output_truncated). An item with
/// empty tests is 0.0 with invalid_gold; code without a function is 0.0; a failure of the sandbox itself is an item
/// error, never 0.0.
/// </summary>
public sealed class CodingScorer(ScoringSettings settings, SandboxLimits limits, ICodeSandbox sandbox, PromptBuilder prompts) : IItemScorer
{
    /// <summary>Bytes of stderr kept in the item detail (evaluation.md §5.1).</summary>
    public const int StderrTailBytes = 2048;

    private SandboxSession? _session;

    /// <inheritdoc/>
    public int Parallelism => limits.MaxParallel;

    /// <summary>The interpreter and isolation chosen by <see cref="PrepareAsync"/>.</summary>
    public SandboxSession? Session => _session;

    /// <inheritdoc/>
    public async Task PrepareAsync(CancellationToken cancellationToken)
    {
        if (settings.ExtractOnly)
        {
            return; // nothing runs
        }
        _session = await sandbox.PrepareAsync(limits, cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc/>
    public async ValueTask<ItemOutcome> ScoreAsync(DatasetItem item, string output, CancellationToken cancellationToken)
    {
        var language = item.String("language") ?? "python";
        var code = settings.Extracted ? output : CodeExtractor.Extract(output, language);
        if (settings.ExtractOnly)
        {
            return ItemOutcome.ExtractedOnly(code);
        }
        var tests = item.String("test") ?? item.String("test_code") ?? "";
        if (tests.Length == 0)
        {
            return ItemOutcome.Scored(0.0, code, ItemFlags.InvalidGold);
        }
        var function = TargetFunction.Find(code, item, prompts.Build(TaskType.Coding, item), settings.Mode);
        if (function is null)
        {
            return ItemOutcome.Scored(0.0, code, ItemFlags.NoFunction);
        }

        var (program, marker) = TestProgram.Build(code, function, tests, settings.Mode);
        var run = await sandbox.RunAsync(program, _session!, limits, marker is null ? [] : [marker], cancellationToken).ConfigureAwait(false);
        var flags = new List<string>();
        if (run.Mode == SandboxMode.Weak)
        {
            flags.Add(ItemFlags.SandboxWeak);
        }
        if (run.Flooded)
        {
            flags.Add(ItemFlags.OutputTruncated);
        }
        var detail = new ItemDetail { StderrTail = run.Stderr.Tail(StderrTailBytes) };
        if (run.Failure is not null)
        {
            var error = new Status { Code = (int)Grpc.Core.StatusCode.Internal, Message = $"code sandbox failure, not a score: {run.Failure}" };
            return ItemOutcome.Failed(error, code, flags) with { Detail = detail };
        }
        detail.SandboxStatus = Classify(run, marker);
        var passed = detail.SandboxStatus == SandboxStatus.Passed;
        return new ItemOutcome { Score = passed ? 1.0 : 0.0, Parsed = code, Flags = flags, Detail = detail };
    }

    private static SandboxStatus Classify(SandboxRun run, string? marker)
    {
        if (run.TimedOut || run.CpuLimitReached)
        {
            return SandboxStatus.Timeout;
        }
        if (run.Flooded)
        {
            return SandboxStatus.Killed;
        }
        if (run.ExitCode == 0 && !run.AssertionFailed && (marker is null || run.Stdout.Saw(0)))
        {
            return SandboxStatus.Passed;
        }
        if (run.AssertionFailed)
        {
            return SandboxStatus.AssertionFailed;
        }
        return run.Killed ? SandboxStatus.Killed : SandboxStatus.Error;
    }
}
