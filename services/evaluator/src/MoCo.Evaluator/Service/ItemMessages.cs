using System.Text.Json;
using Google.Protobuf.WellKnownTypes;
using MoCo.Contracts.V1;
using MoCo.Evaluator.Datasets;
using MoCo.Evaluator.Prompts;
using MoCo.Evaluator.Scoring;
using MoCo.Evaluator.Tasks;
using MoCo.Evaluator.Views;
using ProtoItem = MoCo.Contracts.V1.DatasetItem;
using ProtoWarning = MoCo.Contracts.V1.DatasetWarning;

namespace MoCo.Evaluator.Service;

/// <summary>The LoadDataset messages of a view (evaluation.md §5.1): DatasetInfo, then one item per message with its
/// prompt, metadata and, only when asked, its gold.</summary>
public static class ItemMessages
{
    // Prompt and gold fields never travel as metadata: prompts are formatted, and gold only goes out when asked.
    private static readonly HashSet<string> NotMetadata = new(StringComparer.Ordinal)
    {
        "id", "question", "choices", "input", "prompt", "answer", "output", "test", "test_code", "reference",
    };

    /// <summary>The first message: identity, sizes, selection, warnings, metric and requirements.</summary>
    public static DatasetInfo Info(DatasetView view)
    {
        var spec = TaskTypeSpec.Of(view.Type);
        var info = new DatasetInfo
        {
            ViewId = view.Id,
            FileSha256 = view.File.Sha256,
            DeclaredType = view.File.DeclaredType ?? "",
            EffectiveType = view.Type.Name(),
            NTotal = view.Items.Count,
            NItems = view.Indices.Length,
            Selection = view.Selection switch
            {
                SelectionKind.Prefix => Selection.Prefix,
                SelectionKind.Seeded => Selection.Seeded,
                _ => Selection.All,
            },
            IdsUnique = view.IdsUnique,
            Metric = view.Metric,
            Split = view.Split == DatasetSplit.Dev ? Split.Dev : Split.Test,
            Requirements = new EvaluationRequirements
            {
                Verifier = spec.NeedsVerifier,
                RewardModel = spec.NeedsRewardModel && view.Metric != "none",
                Encoder = spec.NeedsEncoder,
                Sandbox = spec.NeedsSandbox,
            },
        };
        info.Warnings.Add(view.Validation.Warnings.Select(w => new ProtoWarning
        {
            Index = w.Index,
            Field = w.Field,
            Code = w.Code,
            Message = w.Message,
        }));
        return info;
    }

    /// <summary>The item at view position <paramref name="position"/>.</summary>
    public static ProtoItem Item(DatasetView view, int position, PromptBuilder prompts, bool includeGold)
    {
        var item = view.At(position);
        var message = new ProtoItem { Index = item.Index, Id = item.Id, Prompt = prompts.Build(view.Type, item), Metadata = new Struct() };
        foreach (var property in item.Json.EnumerateObject())
        {
            if (!NotMetadata.Contains(property.Name))
            {
                message.Metadata.Fields[property.Name] = ToValue(property.Value);
            }
        }
        if (includeGold)
        {
            message.Gold = Gold(view.Type, item);
        }
        return message;
    }

    private static Gold Gold(TaskType type, Datasets.DatasetItem item)
    {
        if (type == TaskType.MultipleChoice)
        {
            var choices = item.Choices();
            var position = choices.Select(c => c.Label).ToList().IndexOf(item.String("answer")!);
            return new Gold { Choice = new ChoiceGold { Letter = MultipleChoiceParser.Letter(position).ToString(), Text = choices[position].Text ?? "None" } };
        }
        return new Gold { Output = item.Get("output") is { } output ? ToValue(output) : Value.ForNull() };
    }

    /// <summary>A JSON value as a protobuf Value (numbers become doubles, as Struct requires).</summary>
    public static Value ToValue(JsonElement json) => json.ValueKind switch
    {
        JsonValueKind.String => Value.ForString(json.GetString()!),
        JsonValueKind.Number => Value.ForNumber(json.GetDouble()),
        JsonValueKind.True => Value.ForBool(true),
        JsonValueKind.False => Value.ForBool(false),
        JsonValueKind.Array => Value.ForList([.. json.EnumerateArray().Select(ToValue)]),
        JsonValueKind.Object => Value.ForStruct(ToStruct(json)),
        _ => Value.ForNull(),
    };

    private static Struct ToStruct(JsonElement json)
    {
        var s = new Struct();
        foreach (var property in json.EnumerateObject())
        {
            s.Fields[property.Name] = ToValue(property.Value);
        }
        return s;
    }
}
