using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using MoCo.Hosting;
using MoCo.Models.Catalog;
using MoCo.Models.ChatTemplates;
using MoCo.Models.Generation;
using Spectre.Console;

namespace MoCo.Cli.Commands;

/// <summary>`moco models list|info|alias|pull-from-dir` (config-and-cli.md §4.1): the models a name can reach,
/// offline, resolved by the rules of §2.2 over --models-dir, MOCO_MODELS_DIR, $MOCO_HOME/models and the zoo.</summary>
public static class ModelsCommand
{
    private static readonly JsonSerializerOptions JsonOptions = new() { WriteIndented = true, PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower };

    /// <summary>Builds the command.</summary>
    public static Command Build()
    {
        var modelsDir = new Option<string[]>("--models-dir") { Description = "Models folder searched first (repeatable); alias and pull-from-dir write to the first.", Recursive = true };
        var command = new Command("models",
            "List, inspect, alias and import models. Names resolve offline: a directory, a catalogue.json entry, " +
            "<models>/<name>, the read-only Hugging Face cache, then zoo/<name>. Exit 2 for a name found nowhere (CFG009).")
        {
            modelsDir,
        };
        command.Subcommands.Add(List(modelsDir));
        command.Subcommands.Add(Info(modelsDir));
        command.Subcommands.Add(Alias(modelsDir));
        command.Subcommands.Add(PullFromDir(modelsDir));
        return command;
    }

    private static ModelResolver Resolver(ParseResult parse, Option<string[]> modelsDir) =>
        LocalModels.Resolver(parse.GetValue(modelsDir) ?? [], new MocoEnvironment());

    private static Command List(Option<string[]> modelsDir)
    {
        var json = new Option<bool>("--json") { Description = "Print one JSON array." };
        var command = new Command("list", "Every model reachable by name: kind, architecture, parameters, dtype, context, tokenizer, source rule, path.") { json };
        command.SetAction(parse => Run(parse, () =>
        {
            var rows = Resolver(parse, modelsDir).List().Select(Row).ToList();
            var output = parse.InvocationConfiguration.Output;
            if (parse.GetValue(json))
            {
                output.WriteLine(JsonSerializer.Serialize(rows, JsonOptions));
                return ExitCodes.Success;
            }
            var table = new Table().Border(TableBorder.Simple);
            foreach (var column in new[] { "name", "kind", "architecture", "parameters", "dtype", "context", "tokenizer", "rule", "path" })
            {
                table.AddColumn(column);
            }
            foreach (var row in rows)
            {
                table.AddRow([.. new[] { row.Name, row.Kind, row.Architecture, Parameters(row.Parameters), row.Dtype, row.Context.ToString(CultureInfo.InvariantCulture), row.Tokenizer, row.Rule, row.Error is null ? row.Path : $"{row.Path} ({row.Error})" }.Select(Markup.Escape)]);
            }
            var console = Terminal.For(output);
            console.Write(table);
            console.MarkupLine(Markup.Escape($"{rows.Count} model{(rows.Count == 1 ? "" : "s")}"));
            return ExitCodes.Success;
        }));
        return command;
    }

    private static ListRow Row(ModelResolution resolution)
    {
        try
        {
            var m = ModelDirectory.Read(resolution.Directory!);
            return new ListRow(resolution.Name, m.Kind.ToCatalogue(), m.Architecture, m.Parameters, m.Dtype, m.ContextLength, m.TokenizerFamily, resolution.Rule!, m.Path, null);
        }
        catch (InvalidDataException e)
        {
            return new ListRow(resolution.Name, "", "", 0, "", 0, "", resolution.Rule!, resolution.Directory!, e.Message);
        }
    }

    private static Command Info(Option<string[]> modelsDir)
    {
        var name = new Argument<string>("name") { Description = "A model name as configs write it." };
        var config = new Option<string?>("--config") { Description = "The config file the name comes from: relative paths also resolve against its folder." };
        var json = new Option<bool>("--json") { Description = "Print one JSON object." };
        var command = new Command("info", "How a name resolves (every place looked at), its fingerprint, chat template, generation defaults and adapter base.") { name, config, json };
        command.SetAction(parse => Run(parse, () =>
        {
            var configFile = parse.GetValue(config);
            var info = ModelInspection.Inspect(Resolver(parse, modelsDir), parse.GetValue(name)!, configFile is null ? null : Path.GetDirectoryName(Path.GetFullPath(configFile)));
            var generation = GenerationConfig.Read(info.Model.Path);
            var chat = ChatTemplateFiles.Load(info.Model.Path);
            var report = new InfoReport(
                info.Resolution.Name, info.Resolution.Rule!, info.Model.Path, info.Fingerprint, Row(info.Resolution),
                [.. info.Resolution.Trace.Select(s => s.ToString())], [.. info.Resolution.Warnings],
                chat.TemplateFile, chat.SpecialTokens, generation,
                info.BaseModel is null ? null : new BaseReport(info.BaseModel.Name, info.BaseModel.Directory, info.BaseModel.Rule));
            var output = parse.InvocationConfiguration.Output;
            if (parse.GetValue(json))
            {
                output.WriteLine(JsonSerializer.Serialize(report, JsonOptions));
                return ExitCodes.Success;
            }
            RenderInfo(report, output);
            return ExitCodes.Success;
        }));
        return command;
    }

    private static void RenderInfo(InfoReport r, TextWriter output)
    {
        var console = Terminal.For(output);
        var table = new Table().Border(TableBorder.None).HideHeaders().AddColumn("what").AddColumn("value");
        void Add(string what, string value) => table.AddRow(Markup.Escape(what), Markup.Escape(value));
        Add("name", r.Name);
        Add("directory", r.Directory);
        Add("rule", r.Rule);
        Add("kind", r.Model.Kind);
        Add("architecture", r.Model.Architecture);
        Add("parameters", $"{Parameters(r.Model.Parameters)} ({r.Model.Parameters.ToString("N0", CultureInfo.InvariantCulture)})");
        Add("dtype", r.Model.Dtype);
        Add("context", r.Model.Context.ToString(CultureInfo.InvariantCulture));
        Add("tokenizer", r.Model.Tokenizer);
        Add("fingerprint", r.Fingerprint);
        Add("chat template", r.ChatTemplate ?? "none (prompts are used raw)");
        Add("special tokens", string.Join(" ", r.SpecialTokens.Select(kv => $"{kv.Key}={kv.Value}")));
        var g = r.Generation;
        Add("generation", $"eos {(g.EosTokenIds.Count == 0 ? "-" : string.Join(",", g.EosTokenIds))}, temperature {Show(g.Temperature)}, top_p {Show(g.TopP)}, top_k {Show(g.TopK)}, do_sample {Show(g.DoSample)}, max_new_tokens {Show(g.MaxNewTokens)}, repetition_penalty {Show(g.RepetitionPenalty)}");
        if (r.BaseModel is { } b)
        {
            Add("adapter base", b.Directory is null ? $"{b.Name}: not found" : $"{b.Name} → {b.Directory} ({b.Rule})");
        }
        foreach (var warning in r.Warnings)
        {
            Add("warning", warning);
        }
        console.Write(table);
        console.MarkupLine("resolution trace:");
        foreach (var step in r.Trace)
        {
            console.MarkupLine("  " + Markup.Escape(step));
        }
    }

    private static Command Alias(Option<string[]> modelsDir)
    {
        var name = new Argument<string>("name") { Description = "The new name." };
        var target = new Argument<string>("target") { Description = "The name it stands for (must resolve)." };
        var command = new Command("alias", "Add {\"alias\": target} to the first models folder's catalogue.json.") { name, target };
        command.SetAction(parse => Run(parse, () =>
        {
            var resolver = Resolver(parse, modelsDir);
            var resolved = resolver.Require(parse.GetValue(target)!);
            var catalogue = CatalogueFile.Load(CatalogueFile.PathIn(resolver.ModelDirectories[0]));
            catalogue.Set(parse.GetValue(name)!, new CatalogueEntry(null, parse.GetValue(target), null));
            catalogue.Save();
            parse.InvocationConfiguration.Output.WriteLine($"{parse.GetValue(name)} → {parse.GetValue(target)} ({resolved.Directory}) in {catalogue.Path}");
            return ExitCodes.Success;
        }));
        return command;
    }

    private static Command PullFromDir(Option<string[]> modelsDir)
    {
        var dir = new Argument<string>("dir") { Description = "A model directory (config.json, *.safetensors, tokenizer files) or a PEFT adapter." };
        var name = new Option<string?>("--name") { Description = "Catalogue name; default config.json's _name_or_path when it is a hub id, else the folder name." };
        var link = new Option<bool>("--link") { Description = "Link the folder instead of copying it." };
        var command = new Command("pull-from-dir", "Validate a model directory, copy or link it into the first models folder and add a catalogue entry with its fingerprint.") { dir, name, link };
        command.SetAction(parse => Run(parse, () =>
        {
            var pulled = ModelPuller.Pull(parse.GetValue(dir)!, Resolver(parse, modelsDir).ModelDirectories[0], parse.GetValue(name), parse.GetValue(link));
            parse.InvocationConfiguration.Output.WriteLine(
                $"{pulled.Name}: {pulled.Model.Kind.ToCatalogue()} {pulled.Model.Architecture}, {Parameters(pulled.Model.Parameters)} parameters, " +
                $"{(pulled.Linked ? "linked" : "copied")} to {pulled.Directory}, fingerprint {pulled.Fingerprint[..12]}…, catalogue {pulled.Catalogue}");
            return ExitCodes.Success;
        }));
        return command;
    }

    /// <summary>Runs a subcommand, turning catalogue errors into exit codes with a message and a fix.</summary>
    private static int Run(ParseResult parse, Func<int> action)
    {
        var error = parse.InvocationConfiguration.Error;
        try
        {
            return action();
        }
        catch (ModelNotFoundException e)
        {
            error.WriteLine($"error: {e.Message}");
            error.WriteLine("  fix: pass a model directory, or put the model in a models folder (--models-dir, MOCO_MODELS_DIR) or its catalogue.json");
            return ExitCodes.Usage;
        }
        catch (Exception e) when (e is InvalidDataException or ChatTemplateException)
        {
            error.WriteLine($"error: {e.Message}");
            return ExitCodes.Usage;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            error.WriteLine($"error: {e.Message}");
            return ExitCodes.Failed;
        }
    }

    private static string Parameters(long n) => n switch
    {
        >= 1_000_000_000 => (n / 1e9).ToString("0.##", CultureInfo.InvariantCulture) + "B",
        >= 1_000_000 => (n / 1e6).ToString("0.##", CultureInfo.InvariantCulture) + "M",
        >= 1_000 => (n / 1e3).ToString("0.##", CultureInfo.InvariantCulture) + "K",
        _ => n.ToString(CultureInfo.InvariantCulture),
    };

    private static string Show<T>(T? value) where T : struct => value is { } v ? Convert.ToString(v, CultureInfo.InvariantCulture)! : "-";

    /// <summary>One row of `models list`.</summary>
    public sealed record ListRow(string Name, string Kind, string Architecture, long Parameters, string Dtype, int Context, string Tokenizer, string Rule, string Path, string? Error);

    /// <summary>How an adapter's base model resolves.</summary>
    public sealed record BaseReport(string Name, string? Directory, string? Rule);

    /// <summary>Everything `models info` prints.</summary>
    public sealed record InfoReport(
        string Name,
        string Rule,
        string Directory,
        string Fingerprint,
        ListRow Model,
        IReadOnlyList<string> Trace,
        IReadOnlyList<string> Warnings,
        string? ChatTemplate,
        IReadOnlyDictionary<string, string> SpecialTokens,
        GenerationConfig Generation,
        BaseReport? BaseModel);
}
