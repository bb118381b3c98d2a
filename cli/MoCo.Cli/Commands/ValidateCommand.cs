using System.CommandLine;
using System.Text.Json;
using System.Text.Json.Nodes;
using MoCo.Hosting;
using MoCo.Orchestrator.Config;
using MoCo.Orchestrator.Methods;

namespace MoCo.Cli.Commands;

/// <summary>`moco validate &lt;config&gt;… [--json] [--syntax-only] [--list-methods]` (config-and-cli.md §1.5, §4.1): every
/// problem of every config at once, in the `file:line:col: key path: problem [code]` + `fix:` shape, or as JSON.</summary>
public static class ValidateCommand
{
    private static readonly JsonSerializerOptions JsonOptions = new() { WriteIndented = true };

    /// <summary>Builds the command.</summary>
    public static Command Build()
    {
        var configs = new Argument<string[]>("config") { Description = "Config files (MoCo JSON; comments and trailing commas allowed).", Arity = ArgumentArity.ZeroOrMore };
        var json = new Option<bool>("--json") { Description = "Print {file, valid, errors, warnings} per config as JSON." };
        var syntaxOnly = new Option<bool>("--syntax-only") { Description = "Check JSON syntax and duplicate keys only." };
        var listMethods = new Option<bool>("--list-methods") { Description = "List the 28 method ids with level, keys and whether this build runs them." };
        var allowUnknown = new Option<bool>("--allow-unknown-keys") { Description = "Report unknown keys as warnings instead of errors." };
        var dataDir = new Option<string[]>("--data-dir") { Description = "Dataset folder searched first (repeatable)." };
        var modelsDir = new Option<string[]>("--models-dir") { Description = "Models folder searched first (repeatable)." };
        var compat = new Option<string?>("--compat") { Description = "Override the config's compat mode (moco or reference)." };
        compat.AcceptOnlyFromAmong("moco", "reference");
        var command = new Command("validate",
            "Validate configs without loading anything: keys, types, ranges, method, hyperparameters, task and models. " +
            "Exit 0 when every config is valid (warnings allowed), 2 when any has an error.")
        {
            configs, json, syntaxOnly, listMethods, allowUnknown, dataDir, modelsDir, compat,
        };
        command.SetAction(parse =>
        {
            var output = parse.InvocationConfiguration.Output;
            if (parse.GetValue(listMethods))
            {
                ListMethods(output, parse.GetValue(json));
                return ExitCodes.Success;
            }
            var files = parse.GetValue(configs) ?? [];
            if (files.Length == 0)
            {
                parse.InvocationConfiguration.Error.WriteLine("error: name at least one config file\n  fix: moco validate config.json");
                return ExitCodes.Usage;
            }
            var environment = new MocoEnvironment();
            var options = new ValidationOptions(
                AllowUnknownKeys: parse.GetValue(allowUnknown),
                SyntaxOnly: parse.GetValue(syntaxOnly),
                DataDirectories: [.. (parse.GetValue(dataDir) ?? []).Select(Path.GetFullPath)],
                EnvironmentDataDirectories: environment.DataDirectories,
                Models: LocalModels.Resolver(parse.GetValue(modelsDir) ?? [], environment),
                Compat: parse.GetValue(compat) switch { "reference" => CompatMode.Reference, "moco" => CompatMode.Moco, _ => null });
            var validator = new ConfigValidator(MethodRegistry.Default);
            var results = files.Select(f => validator.ValidateFile(f, options) with { File = f }).ToList();
            if (parse.GetValue(json))
            {
                JsonNode node = results.Count == 1 ? ToJson(results[0]) : new JsonArray([.. results.Select(r => (JsonNode)ToJson(r))]);
                output.WriteLine(node.ToJsonString(JsonOptions));
            }
            else
            {
                foreach (var result in results)
                {
                    foreach (var problem in result.Problems)
                    {
                        output.WriteLine(problem.Format(result.File));
                    }
                    var errors = result.Errors.Count;
                    var warnings = result.Warnings.Count(w => w.Severity == ProblemSeverity.Warning);
                    output.WriteLine(errors == 0
                        ? $"{result.File}: valid{(warnings > 0 ? $" ({warnings} warning{(warnings == 1 ? "" : "s")})" : "")}"
                        : $"{result.File}: invalid, {errors} error{(errors == 1 ? "" : "s")}{(warnings > 0 ? $", {warnings} warning{(warnings == 1 ? "" : "s")}" : "")}");
                }
            }
            return results.All(r => r.Valid) ? ExitCodes.Success : ExitCodes.Usage;
        });
        return command;
    }

    private static JsonObject ToJson(ValidationResult result) => new()
    {
        ["file"] = result.File,
        ["valid"] = result.Valid,
        ["errors"] = new JsonArray([.. result.Errors.Select(p => (JsonNode)Problem(p))]),
        ["warnings"] = new JsonArray([.. result.Warnings.Select(p => (JsonNode)Problem(p))]),
    };

    private static JsonObject Problem(ConfigProblem p) => new()
    {
        // Notices carry no code (they are not §1.5 warnings, only what validation decided).
        ["code"] = p.Code.Length > 0 ? p.Code : null,
        ["path"] = p.Path,
        ["line"] = p.Line > 0 ? p.Line : null,
        ["column"] = p.Column > 0 ? p.Column : null,
        ["message"] = p.Message,
        ["fix"] = p.Fix.Length > 0 ? p.Fix : null,
    };

    private static void ListMethods(TextWriter output, bool json)
    {
        var registry = MethodRegistry.Default;
        if (json)
        {
            var array = new JsonArray([.. registry.All.Select(m => (JsonNode)new JsonObject
            {
                ["id"] = m.Id,
                ["level"] = m.Level.Name(),
                ["implemented"] = registry.IsImplemented(m.Id),
                ["summary"] = m.Summary,
                ["keys"] = new JsonArray([.. m.Keys.Select(k => (JsonNode)new JsonObject
                {
                    ["name"] = k.Name,
                    ["type"] = k.Type.Describe(),
                    ["default"] = k.Default?.Text,
                    ["required"] = k.Required,
                    ["values"] = k.Values.Count > 0 ? new JsonArray([.. k.Values.Select(v => (JsonNode?)JsonValue.Create(v))]) : null,
                    ["range"] = k.RangeText() is { Length: > 0 } r ? r : null,
                })]),
            })]);
            output.WriteLine(array.ToJsonString(JsonOptions));
            return;
        }
        foreach (var method in registry.All)
        {
            var status = registry.IsImplemented(method.Id) ? "" : "  (not implemented in this build)";
            output.WriteLine($"{method.Id,-28} {method.Level.Name(),-6} {method.Summary}{status}");
            if (method.Keys.Count > 0)
            {
                output.WriteLine("    " + string.Join(", ", method.Keys.Select(k => k.Required ? $"{k.Name} (required)" : $"{k.Name} = {k.Default?.Text}")));
            }
        }
        output.WriteLine($"{registry.All.Count} methods; general keys: {string.Join(", ", GeneralKeys.Names)}");
    }
}
