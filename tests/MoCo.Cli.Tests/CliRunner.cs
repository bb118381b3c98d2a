namespace MoCo.Cli.Tests;

/// <summary>Runs the `moco` command tree in this process, as a shell would run the executable, capturing both streams.</summary>
internal static class CliRunner
{
    /// <summary>The exit code, standard output and standard error of `moco <paramref name="args"/>`.</summary>
    public static async Task<(int Code, string Out, string Err)> Run(params string[] args)
    {
        var output = new StringWriter();
        var error = new StringWriter();
        var code = await MocoCommandLine.InvokeAsync(args, output, error);
        return (code, output.ToString(), error.ToString());
    }
}
