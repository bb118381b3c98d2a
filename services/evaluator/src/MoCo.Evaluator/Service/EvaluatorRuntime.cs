using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using MoCo.Evaluator.Datasets;
using MoCo.Evaluator.Judges;
using MoCo.Evaluator.Prompts;
using MoCo.Evaluator.Sandbox;
using MoCo.Evaluator.Scoring;
using MoCo.Evaluator.Tasks;
using MoCo.Evaluator.Views;
using MoCo.Hosting;

namespace MoCo.Evaluator.Service;

/// <summary>Everything the evaluator keeps for the life of a process — dataset cache and views, prompt texts,
/// sandbox, inference client, judge cache — and the scorer of each Evaluate call. The gRPC service, the CLI and the
/// benchmarks use the same instance type.</summary>
public sealed class EvaluatorRuntime
{
    /// <summary>Builds the runtime from settings, the MoCo environment and an inference backend; programs run in
    /// <paramref name="sandbox"/>, by default in this process.</summary>
    public EvaluatorRuntime(EvaluatorOptions options, MocoEnvironment environment, IInferenceBackend inference, ILoggerFactory? logs = null,
        ICodeSandbox? sandbox = null)
    {
        logs ??= NullLoggerFactory.Instance;
        Options = options;
        Views = new ViewResolver(new DatasetLocator([.. options.DataDirectories, .. environment.DataDirectories]), new DatasetCache());
        Texts = new PromptTexts(options.PromptDirectory);
        Prompts = new PromptBuilder(Texts);
        Sandbox = sandbox ?? LocalSandbox.OfThisMachine(options.SandboxUidBase, logs.CreateLogger<SandboxRunner>());
        Inference = inference;
        Judgements = new JudgeCache();
    }

    /// <summary>Service settings.</summary>
    public EvaluatorOptions Options { get; }

    /// <summary>Datasets and views.</summary>
    public ViewResolver Views { get; }

    /// <summary>Prompt wording.</summary>
    public PromptTexts Texts { get; }

    /// <summary>Item prompts.</summary>
    public PromptBuilder Prompts { get; }

    /// <summary>Where the programs of coding items run.</summary>
    public ICodeSandbox Sandbox { get; }

    /// <summary>The inference service.</summary>
    public IInferenceBackend Inference { get; }

    /// <summary>Judge results per (item, output, judge).</summary>
    public JudgeCache Judgements { get; }

    /// <summary>The scorer of one Evaluate call on <paramref name="view"/>.</summary>
    public IItemScorer CreateScorer(DatasetView view, ScoringSettings settings, SandboxLimits limits, JudgeModels models)
    {
        var judges = Options.JudgeParallelism;
        return view.Type switch
        {
            TaskType.MultipleChoice => new MultipleChoiceScorer(settings),
            TaskType.ExactMatch => new ExactMatchScorer(settings),
            TaskType.F1Match => new F1MatchScorer(settings),
            TaskType.Noncompliance => new NoncomplianceScorer(settings),
            TaskType.GeneralVerifier => new GeneralVerifierScorer(settings, Inference, Judgements, models, Prompts, Texts, judges),
            TaskType.RewardModel => new RewardModelScorer(settings, Inference, Judgements, models, Texts, judges),
            TaskType.TextGeneration => new TextGenerationScorer(settings,
                new RewardModelScorer(settings, Inference, Judgements, models, Texts, judges, "text_generation")),
            TaskType.Coding => new CodingScorer(settings, limits, Sandbox, Prompts),
            TaskType.GenerationDiversity => new GenerationDiversityScorer(settings, Inference, Judgements, models, judges),
            _ => throw new ArgumentOutOfRangeException(nameof(view), view.Type, "unknown task type"),
        };
    }
}
