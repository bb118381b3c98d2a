using System.Diagnostics;
using System.Text;
using System.Text.Json;
using MoCo.Models.Tokenization;
using MoCo.Native;
using MoCo.Native.Models;

namespace MoCo.Cli.Bench;

/// <summary>
/// `moco bench tokenizer`: the model's tokenizer (tokenizer.json through MoCo.Models' HfTokenizer, as the inference
/// service runs it) encoding and decoding the task text on the data search path, against the rate the engine
/// consumes tokens on the same device — one prefill of the suite's prompt length. A ratio far above 1 means
/// tokenization can never be what a run waits for.
/// </summary>
public static class TokenizerBench
{
    private const int TextChars = 1 << 20;

    /// <summary>Runs the suite on <see cref="BenchOptions.Model"/>'s tokenizer and weights.</summary>
    public static BenchSuiteResult Run(BenchOptions options, TextWriter log)
    {
        var tokenizer = HfTokenizer.FromDirectory(options.Model.Directory);
        var (text, source) = Corpus(options.DataDirectories);
        var ids = tokenizer.Encode(text, addSpecialTokens: false);

        log.WriteLine("tokenizer: engine prefill, encode and decode, interleaved");
        using var context = MocoContext.Create(options.Device, options.Threads);
        using var model = MocoModel.Load(context, options.Model.Directory);
        var prompt = Math.Clamp(options.PromptTokens, 1, model.Info.MaxPositionEmbeddings);
        var list = new List<int>(ids.Length);
        var rates = Measure.BestOfEach(options.Repeats,
            () => Measure.Sustained(() => EngineBench.Prefill(model, prompt)),
            () => Measure.Sustained(() =>
            {
                list.Clear();
                var clock = Stopwatch.StartNew();
                tokenizer.Encode(text.AsSpan(), list, addSpecialTokens: false);
                return (list.Count, clock.Elapsed.TotalSeconds);
            }),
            () => Measure.Sustained(() =>
            {
                var clock = Stopwatch.StartNew();
                tokenizer.Decode(ids);
                return (ids.Length, clock.Elapsed.TotalSeconds);
            }));
        var (prefill, encode, decode) = (rates[0], rates[1], rates[2]);
        var device = context.Device;
        var rows = new List<BenchRow>
        {
            new($"engine prefill, {prompt} tokens", prefill, "tokens/s", null, 0, $"on {device}"),
            new("encode (text to ids)", encode, "tokens/s", "engine prefill", prefill, "word cache warm, as in a running service"),
            new("decode (ids to text)", decode, "tokens/s", "engine prefill", prefill),
        };
        var setup = $"{options.Model.Name}'s tokenizer.json; {text.Length:N0} characters, {ids.Length:N0} tokens of {source}; best of {options.Repeats}";
        return new BenchSuiteResult("tokenizer", setup, rows);
    }

    // Every string of the task files on the data search path, up to TextChars; without any, reproducible text drawn
    // from a word list that mixes prose, code, numbers and non-ASCII scripts.
    private static (string Text, string Source) Corpus(IReadOnlyList<string> dataDirectories)
    {
        var text = new StringBuilder();
        var files = dataDirectories.Where(Directory.Exists)
            .SelectMany(d => Directory.EnumerateFiles(d, "*.json").Order(StringComparer.Ordinal))
            .Where(f => Path.GetFileName(f) != "catalogue.json").ToList();
        var used = 0;
        foreach (var file in files)
        {
            if (text.Length >= TextChars)
            {
                break;
            }
            try
            {
                using var document = JsonDocument.Parse(File.ReadAllBytes(file));
                AppendStrings(document.RootElement, text);
                used++;
            }
            catch (JsonException)
            {
                // Not a task file: the data folders may hold other JSON.
            }
        }
        if (text.Length > 0)
        {
            return (text.ToString(0, Math.Min(text.Length, TextChars)), $"{used} task file{(used == 1 ? "" : "s")} on the data search path");
        }
        var random = new Random(1);
        while (text.Length < TextChars)
        {
            text.Append(Words[random.Next(Words.Length)]).Append(random.Next(8) == 0 ? $" {random.Next(10_000)}. " : " ");
        }
        return (text.ToString(0, TextChars), "reproducible word salad (no task files on the data search path)");
    }

    private static readonly string[] Words =
    [
        "the", "model", "answer", "question", "of", "and", "to", "in", "is", "that", "for", "it", "with", "as", "was", "on",
        "collaboration", "language", "models", "together", "solve", "task", "which", "because", "however", "Therefore,",
        "result:", "x", "=", "(a)", "(b)", "\n", "def", "return", "print(", ");", "{", "}", "über", "naïve", "日本語", "🙂",
    ];

    private static void AppendStrings(JsonElement element, StringBuilder text)
    {
        switch (element.ValueKind)
        {
            case JsonValueKind.String:
                text.Append(element.GetString()).Append('\n');
                break;
            case JsonValueKind.Array:
                foreach (var item in element.EnumerateArray())
                {
                    if (text.Length >= TextChars)
                    {
                        return;
                    }
                    AppendStrings(item, text);
                }
                break;
            case JsonValueKind.Object:
                foreach (var property in element.EnumerateObject())
                {
                    AppendStrings(property.Value, text);
                }
                break;
        }
    }
}
