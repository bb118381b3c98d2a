using System.Text.Json.Nodes;
using Grpc.Core;
using MoCo.Contracts.V1;
using MoCo.Orchestrator.Tests.Engine;

namespace MoCo.Orchestrator.Tests.Methods.Text;

/// <summary>What the text-method run tests read besides the engine: a split's prompts and gold letters as the evaluator
/// serves them (the tests' independent oracle), and a run's reference log.</summary>
internal static class TextMethodFixtures
{
    public static async Task<List<(string Prompt, string Letter)>> GoldAsync(EngineHarness harness, Split split, int limit)
    {
        using var call = harness.Evaluator.LoadDataset(new LoadDatasetRequest { Task = "agieval_tiny", Split = split, Limit = limit, IncludeGold = true, TaskType = "multiple_choice" });
        var items = new List<(string, string)>();
        await foreach (var message in call.ResponseStream.ReadAllAsync())
        {
            if (message.PayloadCase == LoadDatasetResponse.PayloadOneofCase.Item)
            {
                items.Add((message.Item.Prompt, message.Item.Gold.Choice.Letter));
            }
        }
        return items;
    }

    public static JsonObject ReadRunLog(EngineHarness harness, string runId) =>
        JsonNode.Parse(File.ReadAllText(Directory.GetFiles(Path.Combine(harness.LogDirectory, "moco", runId), "agieval_tiny_*.json").Single()))!.AsObject();
}
