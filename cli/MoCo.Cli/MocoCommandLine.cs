using System.CommandLine;
using MoCo.Cli.Commands;

namespace MoCo.Cli;

/// <summary>The `moco` command tree (config-and-cli.md §4). Commands whose capability is not built yet are
/// absent rather than pretending; each command's --help says what it does and its exit codes.</summary>
public static class MocoCommandLine
{
    /// <summary>Builds the root command.</summary>
    public static RootCommand Build()
    {
        var root = new RootCommand(
            "MoCo.NET: model collaboration — many language models solving one task together, at the API, text, " +
            "logit and weight level, served as gRPC microservices over a native inference engine.\n\n" +
            "Exit codes: 0 success, 1 failed after start, 2 usage or configuration error, 4 environment unavailable " +
            "(port, device, server), 130/143 interrupted.");
        root.Subcommands.Add(ServeCommand.Build());
        root.Subcommands.Add(DoctorCommand.Build());
        root.Subcommands.Add(ModelsCommand.Build());
        root.Subcommands.Add(TasksCommand.Build());
        root.Subcommands.Add(ValidateCommand.Build());
        root.Subcommands.Add(RunCommand.Build());
        root.Subcommands.Add(RunsCommand.Build());
        root.Subcommands.Add(ReportCommand.Build());
        root.Subcommands.Add(ZooCommand.Build());
        root.Subcommands.Add(BenchCommand.Build());
        RunCommand.AttachReferenceForm(root);
        return root;
    }

    /// <summary>Parses and runs <paramref name="args"/>; returns the process exit code.</summary>
    public static Task<int> InvokeAsync(string[] args, TextWriter? output = null, TextWriter? error = null)
    {
        var configuration = new InvocationConfiguration();
        if (output is not null)
        {
            configuration.Output = output;
        }
        if (error is not null)
        {
            configuration.Error = error;
        }
        var parse = Build().Parse(args);
        if (parse.Errors.Count > 0 && parse.Action is not System.CommandLine.Help.HelpAction)
        {
            var stderr = error ?? Console.Error;
            foreach (var problem in parse.Errors)
            {
                stderr.WriteLine($"error: {problem.Message}");
            }
            stderr.WriteLine("  fix: see `moco --help` or `moco <command> --help`");
            return Task.FromResult(ExitCodes.Usage);
        }
        return parse.InvokeAsync(configuration);
    }
}
