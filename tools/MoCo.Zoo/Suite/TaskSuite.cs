using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;
using MoCo.Evaluator.Datasets;
using MoCo.Evaluator.Prompts;
using MoCo.Evaluator.Tasks;

namespace MoCo.Zoo.Suite;

/// <summary>
/// The bundled task suite: four domains whose dev and test splits are drawn from one seed, written as MoCo
/// dataset files, and the training pairs the zoo learns from (never a dev or test question).
/// </summary>
public sealed class TaskSuite
{
    /// <summary>The seed of the committed suite.</summary>
    public const ulong DefaultSeed = 12;

    private static readonly JsonSerializerOptions FileOptions = new()
    {
        WriteIndented = true,
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    private readonly ulong _seed;
    private readonly Dictionary<string, (List<JsonObject> Dev, List<JsonObject> Test, HashSet<string> Keys)> _splits = [];

    /// <summary>Draws the suite of <paramref name="seed"/> with <paramref name="splitSize"/> items per split.</summary>
    public TaskSuite(ulong seed = DefaultSeed, int splitSize = 200)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(splitSize, 1);
        _seed = seed;
        World = new WorldDomain(seed);
        Domains = [new ArithmeticDomain(), World, new CodingDomain(), new RefusalDomain()];
        foreach (var domain in Domains)
        {
            var random = SeededRandom.For(seed, domain.Task + "/eval");
            var keys = new HashSet<string>(StringComparer.Ordinal);
            var items = new List<JsonObject>();
            var attempts = 0;
            while (items.Count < 2 * splitSize)
            {
                if (++attempts > 100 * splitSize)
                {
                    throw new InvalidOperationException($"{domain.Task}: fewer than {2 * splitSize} distinct items");
                }
                var item = domain.NextItem(random);
                if (keys.Add(domain.Key(item)))
                {
                    items.Add(item);
                }
            }
            for (var i = 0; i < items.Count; i++)
            {
                items[i] = WithId(items[i], i);
            }
            _splits[domain.Task] = ([.. items.Take(splitSize)], [.. items.Skip(splitSize)], keys);
        }
    }

    /// <summary>The seed everything here is drawn from.</summary>
    public ulong Seed => _seed;

    /// <summary>The domains, in a fixed order.</summary>
    public IReadOnlyList<SuiteDomain> Domains { get; }

    /// <summary>The generated world the multiple-choice domain asks about.</summary>
    public WorldDomain World { get; }

    /// <summary>The dataset file of <paramref name="domain"/> (name, task_type, dev, test).</summary>
    public JsonObject Dataset(SuiteDomain domain)
    {
        var (dev, test, _) = _splits[domain.Task];
        return new JsonObject
        {
            ["name"] = domain.Task,
            ["task_type"] = domain.TaskType,
            ["dev"] = new JsonArray([.. dev.Select(i => i.DeepClone())]),
            ["test"] = new JsonArray([.. test.Select(i => i.DeepClone())]),
        };
    }

    /// <summary>The dataset file's text: indented JSON, LF line ends, a final newline.</summary>
    public string DatasetText(SuiteDomain domain) => Dataset(domain).ToJsonString(FileOptions).ReplaceLineEndings("\n") + "\n";

    /// <summary>Writes every domain's dataset file into <paramref name="directory"/>; returns the paths.</summary>
    public IReadOnlyList<string> Write(string directory)
    {
        Directory.CreateDirectory(directory);
        var paths = new List<string>();
        foreach (var domain in Domains)
        {
            var path = Path.Combine(directory, domain.Task + ".json");
            File.WriteAllText(path, DatasetText(domain));
            paths.Add(path);
        }
        return paths;
    }

    /// <summary>The evaluated model's prompt for a dataset item, exactly as the evaluator builds it.</summary>
    public static string Prompt(SuiteDomain domain, JsonObject item)
    {
        if (!TaskTypeNames.TryParse(domain.TaskType, out var type))
        {
            throw new InvalidOperationException($"{domain.Task}: unknown task type {domain.TaskType}");
        }
        return new PromptBuilder(PromptTexts.Default).Build(type, new DatasetItem(0, JsonSerializer.SerializeToElement(item)));
    }

    /// <summary>
    /// <paramref name="count"/> training pairs of <paramref name="domain"/> drawn from stream
    /// <paramref name="stream"/>: fresh items (none a dev or test question) and, for a share
    /// <paramref name="extraShare"/>, the domain's extra pairs.
    /// </summary>
    public IReadOnlyList<TrainingPair> Training(SuiteDomain domain, int count, string stream, double extraShare = 0.3)
    {
        var random = SeededRandom.For(_seed, domain.Task + "/train/" + stream);
        var keys = _splits[domain.Task].Keys;
        var pairs = new List<TrainingPair>(count);
        while (pairs.Count < count)
        {
            if (random.NextDouble() < extraShare && domain.NextExtraPair(random) is { } extra)
            {
                pairs.Add(new TrainingPair(extra.Prompt, extra.Response));
                continue;
            }
            var item = domain.NextItem(random);
            if (!keys.Contains(domain.Key(item)))
            {
                pairs.Add(new TrainingPair(Prompt(domain, item), domain.Response(item)));
            }
        }
        return pairs;
    }

    /// <summary>The dev and test items of <paramref name="domain"/>.</summary>
    public (IReadOnlyList<JsonObject> Dev, IReadOnlyList<JsonObject> Test) Splits(SuiteDomain domain) =>
        (_splits[domain.Task].Dev, _splits[domain.Task].Test);

    private static JsonObject WithId(JsonObject item, int id)
    {
        var withId = new JsonObject { ["id"] = id };
        foreach (var (key, value) in item)
        {
            withId[key] = value?.DeepClone();
        }
        return withId;
    }
}
