using MoCo.Hosting;
using MoCo.Models.Catalog;

namespace MoCo.Cli.Commands;

/// <summary>The CLI's model search path (config-and-cli.md §6): the command's `--models-dir` folders first, then the
/// environment's (MOCO_MODELS_DIR, $MOCO_HOME/models), the bundled zoo, and the read-only HF cache.</summary>
internal static class LocalModels
{
    public static ModelResolver Resolver(IEnumerable<string> modelsDirs, MocoEnvironment environment) =>
        new([.. modelsDirs.Select(Path.GetFullPath), .. environment.ModelDirectories], Path.Combine(environment.InstallDirectory, "models"),
            ModelResolver.DefaultHuggingFaceCache(Environment.GetEnvironmentVariable));
}
