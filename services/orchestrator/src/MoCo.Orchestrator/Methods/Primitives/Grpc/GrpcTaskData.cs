using Grpc.Core;
using MoCo.Contracts.V1;
using MoCo.Orchestrator.Config;
using MoCo.Router.Evaluation;
using System.Text.Json.Nodes;

namespace MoCo.Orchestrator.Methods.Primitives.Grpc;

/// <summary>The run's dev/test data from the evaluator's LoadDataset (evaluation.md §5.1): the config's task and task
/// type, the run's limit and limit seed on every split read, the config's group_by, and the run's data folders. Each
/// split is loaded once; test gold is never asked for.</summary>
public sealed class GrpcTaskData(EvaluatorService.EvaluatorServiceClient client, RunConfig config, RunDataOptions options) : ITaskData
{
    private readonly Dictionary<(Split, bool), Task<TaskSplit>> _loaded = [];
    private readonly Lock _lock = new();

    /// <inheritdoc/>
    public async Task<TaskSplit> DevAsync(double ratio, bool includeGold, CancellationToken cancellationToken)
    {
        var all = await LoadAsync(Split.Dev, includeGold, cancellationToken).ConfigureAwait(false);
        // prepare_inputs keeps the first ⌊n·ratio⌋ items.
        var keep = ratio >= 1.0 ? all.Items.Count : (int)Math.Floor(all.Items.Count * ratio);
        return keep == all.Items.Count ? all : all with { Items = [.. all.Items.Take(keep)], Partial = true };
    }

    /// <inheritdoc/>
    public Task<TaskSplit> TestAsync(CancellationToken cancellationToken) => LoadAsync(Split.Test, false, cancellationToken);

    private Task<TaskSplit> LoadAsync(Split split, bool gold, CancellationToken cancellationToken)
    {
        lock (_lock)
        {
            if (!_loaded.TryGetValue((split, gold), out var task) || task.IsFaulted || task.IsCanceled)
            {
                task = FetchAsync(split, gold, cancellationToken);
                _loaded[(split, gold)] = task;
            }
            return task;
        }
    }

    private async Task<TaskSplit> FetchAsync(Split split, bool gold, CancellationToken cancellationToken)
    {
        var request = Request(split);
        request.IncludeGold = gold;
        var (info, loaded) = await DatasetCalls.LoadAsync(client, request, cancellationToken).ConfigureAwait(false);
        var items = loaded.Select(item =>
        {
            var metadata = item.Metadata is null ? new JsonObject() : JsonNode.Parse(Google.Protobuf.JsonFormatter.Default.Format(item.Metadata))!.AsObject();
            var (answer, goldText) = GoldForms.Of(item.Gold);
            return new TaskItem(item.Index, item.Id, item.Prompt, metadata, answer) { GoldText = goldText };
        }).ToList();
        var name = split == Split.Dev ? "dev" : "test";
        return new TaskSplit(name, info.ViewId, items, info.NItems < info.NTotal);
    }

    /// <summary>The LoadDataset fields of a split's view (also an Evaluate header's).</summary>
    public LoadDatasetRequest Request(Split split)
    {
        var request = new LoadDatasetRequest { Task = config.DatasetPath ?? config.Task, Split = split, TaskType = config.TaskType };
        if (options.Limit is { } limit)
        {
            request.Limit = limit;
        }
        if (options.LimitSeed is { } limitSeed)
        {
            request.LimitSeed = limitSeed;
        }
        if (config.Evaluation.GroupBy is { } groupBy)
        {
            request.GroupBy = groupBy;
        }
        request.DataDirs.AddRange(options.DataDirectories);
        return request;
    }
}

/// <summary>The run's data selection: limit, limit seed (evaluation.md §5.3) and dataset folders searched first.</summary>
public sealed record RunDataOptions(int? Limit, ulong? LimitSeed, IReadOnlyList<string> DataDirectories);
