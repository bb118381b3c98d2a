using System.Diagnostics;
using System.Text.Json.Nodes;
using Grpc.Core;
using MoCo.Contracts.V1;
using MoCo.Hosting;
using MoCo.Orchestrator.Config;
using MoCo.Orchestrator.Logs;
using MoCo.Orchestrator.Methods;
using MoCo.Orchestrator.Methods.Primitives;
using MoCo.Orchestrator.Methods.Primitives.Grpc;
using MoCo.Orchestrator.Runs;

namespace MoCo.Orchestrator.Engine;

/// <summary>
/// One execution of an owned run: heartbeat and cancel-flag polling, the method over the primitives, the baselines,
/// the logs, and the final state. Cancellation (Ctrl-C, CancelRun, the store's flag) stops scheduling, keeps every
/// committed call and item, and marks the run cancelled; any other failure marks it failed. Both stay resumable.
/// </summary>
internal sealed class RunExecution(IRunStore store, RunServices services, MethodRegistry registry, RunPlan plan, string owner, RunEnvironment environment,
    Action<RunEvent> emit)
{
    private const string BaselinePhase = "baselines";
    private const string LogsPhase = "logs";

    public async Task<RunResult> RunAsync(CancellationTokenSource cancel)
    {
        var config = plan.Config;
        var clock = Stopwatch.StartNew();
        var started = DateTimeOffset.UtcNow;
        var recorder = new RunRecorder(store, plan.RunId, emit, plan.WantItems);
        using var heartbeatStop = new CancellationTokenSource();
        var heartbeat = HeartbeatAsync(cancel, heartbeatStop.Token);
        emit(RunEvents.Create(plan.RunId, e => e.RunStarted = Started()));
        foreach (var warning in plan.Warnings)
        {
            recorder.Warn(warning);
        }
        try
        {
            using var rebuilds = services.Affinity.OpenScope();
            var ledger = new StoreCallLedger(store, plan.RunId, plan.NoCache ? null : recorder.CallReused);
            var data = new GrpcTaskData(services.Evaluator, config, new RunDataOptions(plan.Limit, plan.LimitSeed, plan.DataDirectories));
            var addresses = ModelAddresses.For(config, environment.Models, registry.Find(config.Method));
            var generation = new AddressedGenerationBackend(services.Generation, addresses);
            var generations = new CachedGenerationService(generation, ledger, recorder, config, plan.Seed);
            var context = new MethodContext(config, plan.RunId, plan.Seed, data, generations,
                new GrpcScoringService(services.Inference, generation, addresses, ledger, recorder, config),
                new GrpcEvaluationService(services.Evaluator, config, plan.RunId), recorder)
            {
                Ensembles = services.Generation is IEnsembleBackend ? generations : null,
                Merges = new GrpcMergeService(services.Inference, generation, addresses, plan.Seed, rebuilds),
                Training = new GrpcTrainingService(services.Inference, generation, addresses, ledger, recorder, config, rebuilds),
                Embeddings = new GrpcEmbeddingService(services.Inference, generation, addresses, ledger, recorder),
                Decoding = new MoCo.Router.Decoding.GrpcDecodeBackend(services.Inference, addresses.Of),
                ArtifactsRoot = environment.ArtifactsDirectory,
            };
            var outcome = await registry.Create(config.Method).RunAsync(context, cancel.Token).ConfigureAwait(false);
            var baselines = plan.NoBaselines ? [] : await BaselinesAsync(context, outcome, generation, ledger, recorder, cancel.Token).ConfigureAwait(false);
            var test = await data.TestAsync(cancel.Token).ConfigureAwait(false);

            await recorder.BeginPhaseAsync(LogsPhase, "files", 0, cancel.Token).ConfigureAwait(false);
            var items = await store.GetItemsAsync(plan.RunId, cancellationToken: cancel.Token).ConfigureAwait(false);
            var phases = await store.GetPhasesAsync(plan.RunId, cancel.Token).ConfigureAwait(false);
            var info = new RunLogInfo(plan.RunId, MocoInfo.Version, config.Method, config.Compat.Name(), plan.Seed, config.Device, plan.Limit, started,
                DateTimeOffset.UtcNow, recorder.CompletionTokens, recorder.ModelCalls, RunState.Succeeded.Name(), test.Partial)
            {
                Baselines = baselines,
                Mode = environment.Mode,
            };
            var written = new RunLogWriter(plan.LogDirectory).Write(config, registry.Find(config.Method)!.LogSuffix, outcome, info, items, phases,
                ResolvedConfig.Build(config, plan.Seed, plan.Limit, plan.LimitSeed, Replicas()), plan.LogOptions);
            foreach (var warning in written.Warnings)
            {
                recorder.Warn(warning);
            }
            foreach (var file in written.Files)
            {
                emit(RunEvents.Create(plan.RunId, e => e.LogWritten = new LogWritten { Path = Path.GetRelativePath(plan.LogDirectory, file) }));
            }
            await recorder.EndPhaseAsync(LogsPhase, null, cancel.Token).ConfigureAwait(false);

            await Finish(RunState.Succeeded, outcome.TestScore, outcome.TestItems, written.ReferenceLog, null, heartbeatStop, heartbeat).ConfigureAwait(false);
            emit(RunEvents.Create(plan.RunId, e => e.RunFinished = new RunFinished
            {
                Status = RunStatus.Succeeded,
                Score = outcome.TestScore,
                ReferenceLog = written.ReferenceLog ?? "",
                WallS = clock.Elapsed.TotalSeconds,
            }));
            return new RunResult(plan.RunId, RunState.Succeeded, config, outcome.TestScore, outcome.TestItems, baselines, written.ReferenceLog, written.Files,
                clock.Elapsed, recorder.GeneratedTokens, null);
        }
        catch (Exception e) when (cancel.IsCancellationRequested && e is OperationCanceledException or RpcException { StatusCode: StatusCode.Cancelled })
        {
            await Finish(RunState.Cancelled, null, null, null, null, heartbeatStop, heartbeat).ConfigureAwait(false);
            emit(RunEvents.Create(plan.RunId, ev => ev.RunFinished = new RunFinished { Status = RunStatus.Cancelled, WallS = clock.Elapsed.TotalSeconds }));
            return new RunResult(plan.RunId, RunState.Cancelled, config, null, 0, [], null, [], clock.Elapsed, recorder.GeneratedTokens, null);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            var error = Describe(e);
            await Finish(RunState.Failed, null, null, null, error, heartbeatStop, heartbeat).ConfigureAwait(false);
            emit(RunEvents.Create(plan.RunId, ev => ev.Error = error));
            emit(RunEvents.Create(plan.RunId, ev => ev.RunFinished = new RunFinished { Status = RunStatus.Failed, WallS = clock.Elapsed.TotalSeconds }));
            return new RunResult(plan.RunId, RunState.Failed, config, null, 0, [], null, [], clock.Elapsed, recorder.GeneratedTokens, error);
        }
    }

    // Baselines (config-and-cli.md §4.3): each distinct model alone on test with the config's general keys, taken from
    // the method when it produced them; the others are generated at the shared site `single_model/test`, seeded from
    // the config seed (else 0) rather than the run seed, so identical baselines agree across runs. Calls go through the
    // run's addressed backend, so a model named by a path beside the config is found here too.
    private async Task<IReadOnlyList<ModelBaseline>> BaselinesAsync(MethodContext context, MethodOutcome outcome, IGenerationBackend generation, ICallLedger ledger,
        RunRecorder recorder, CancellationToken cancellationToken)
    {
        var config = plan.Config;
        var missing = config.ModelNames.Distinct(StringComparer.Ordinal).Where(m => outcome.Baselines.All(b => b.Model != m)).ToList();
        var test = await context.Data.TestAsync(cancellationToken).ConfigureAwait(false);
        if (await recorder.BeginPhaseAsync(BaselinePhase, "calls", missing.Count * test.Items.Count, cancellationToken).ConfigureAwait(false) is JsonArray done)
        {
            return [.. done.Select(b => new ModelBaseline((string)b!["model"]!, (double)b["test"]!))];
        }
        var shared = new CachedGenerationService(generation, ledger, recorder, config, config.Seed ?? 0);
        var site = new CallSite("single_model", config.Compat, BaselinePhase, "model");
        var computed = new List<ModelBaseline>();
        foreach (var model in missing)
        {
            var outputs = await SoloAnswers.GenerateAsync(shared, model, site, test, null, cancellationToken).ConfigureAwait(false);
            var scores = await context.Evaluation.ScoreAsync(test, [.. outputs.Select(o => o.Texts[0])], OutputKind.Raw, cancellationToken).ConfigureAwait(false);
            await SoloAnswers.RecordAsync(recorder, SoloAnswers.BaselinePhase(model), model, test, outputs, scores, cancellationToken).ConfigureAwait(false);
            computed.Add(new ModelBaseline(model, scores.Mean));
        }
        var all = config.ModelNames.Distinct(StringComparer.Ordinal)
            .Select(m => outcome.Baselines.FirstOrDefault(b => b.Model == m) ?? computed.First(b => b.Model == m)).ToList();
        await recorder.EndPhaseAsync(BaselinePhase, new JsonArray([.. all.Select(b => (JsonNode)new JsonObject { ["model"] = b.Model, ["test"] = b.Test })]),
            cancellationToken).ConfigureAwait(false);
        return all;
    }

    private RunStarted Started() => RunEvents.Started(plan.Config.Method, plan.Config.Task, plan.Config.TaskType, plan.Config.ModelNames, plan.Limit,
        plan.LimitSeed, plan.Seed, plan.Config.Compat == CompatMode.Reference, plan.Resumed, Replicas(),
        [.. ModelAddresses.KeyModelRoles(plan.Config, registry.Find(plan.Config.Method)).Where(r => !plan.Config.ModelNames.Contains(r.Name, StringComparer.Ordinal))]);

    // Where an embedded run's models run (config-and-cli.md §2.3): its inference replicas, one per device; null on a server.
    private ReplicaPlan? Replicas() => environment.Devices is { } devices && DevicePlacement.For(plan.Config, devices) is { } placement
        ? ReplicaPlan.Of(placement, plan.Config.ModelNames, placement.Implied(plan.Config, registry.Find(plan.Config.Method), devices.CudaDevices))
        : null;

    // The owner's heartbeat (config-and-cli.md §5.1); a cancel flag set by another process (`moco runs cancel`) stops the run.
    private async Task HeartbeatAsync(CancellationTokenSource cancel, CancellationToken stop)
    {
        try
        {
            while (!stop.IsCancellationRequested)
            {
                await Task.Delay(environment.HeartbeatInterval, stop).ConfigureAwait(false);
                if (await store.HeartbeatAsync(plan.RunId, owner, DateTimeOffset.UtcNow, stop).ConfigureAwait(false))
                {
                    await cancel.CancelAsync().ConfigureAwait(false);
                }
            }
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
            // The run ended.
        }
    }

    private async Task Finish(RunState state, double? score, int? items, string? referenceLog, RunError? error, CancellationTokenSource heartbeatStop, Task heartbeat)
    {
        await heartbeatStop.CancelAsync().ConfigureAwait(false);
        await heartbeat.ConfigureAwait(false);
        // The final state is written whatever cancelled the run: that is what makes it resumable.
        await store.FinishRunAsync(plan.RunId, state, DateTimeOffset.UtcNow, score, items, referenceLog, error?.Code, error?.Message, CancellationToken.None)
            .ConfigureAwait(false);
    }

    private static RunError Describe(Exception e) => e switch
    {
        MethodNotImplementedException m => new RunError { Code = "METHOD_NOT_IMPLEMENTED", Message = m.Message, Fix = "`moco validate --list-methods` shows which methods this build runs" },
        RpcException r => new RunError
        {
            Code = r.StatusCode.ToString().ToUpperInvariant(),
            Message = r.Status.Detail,
            Fix = r.StatusCode == StatusCode.Unimplemented ? "this build's services do not offer that yet" : "check the services' logs, then resume the run",
        },
        FileNotFoundException f => new RunError { Code = "MISSING_FILE", Message = f.Message, Fix = "put the file where the message says, then resume the run" },
        _ => new RunError { Code = "INTERNAL", Message = e.Message, Fix = "resume the run; report the error if it repeats" },
    };
}
