namespace MoCo.Hosting.Tests;

public sealed class EnvironmentTests
{
    private static MocoEnvironment With(Dictionary<string, string> vars, string baseDir = "/opt/moco/bin") =>
        new(name => vars.GetValueOrDefault(name), baseDir);

    [Fact]
    public void Search_paths_put_the_variable_first_and_bundled_folders_last()
    {
        var env = With(new() { ["MOCO_HOME"] = "/h", ["MOCO_DATA_DIR"] = "/a:/b", ["MOCO_MODELS_DIR"] = "/m" });
        Assert.Equal(["/a", "/b", "/h/data", "/opt/moco/bin/data"], env.DataDirectories);
        Assert.Equal(["/m", "/h/models", "/opt/moco/bin/models"], env.ModelDirectories);
    }

    [Fact]
    public void Home_falls_back_to_xdg_then_the_user_profile()
    {
        Assert.Equal("/x/moco", With(new() { ["XDG_DATA_HOME"] = "/x" }).Home);
        Assert.EndsWith(Path.Combine(".local", "share", "moco"), With([]).Home);
    }

    [Fact]
    public void Defaults_follow_the_spec()
    {
        var env = With(new() { ["MOCO_HOME"] = "/h" });
        Assert.Equal("/h/runs.db", env.RunStore);
        Assert.Equal("auto", env.Device);
        Assert.Null(env.Server);
        Assert.Equal("/h/artifacts", env.ArtifactsDirectory);
    }

    [Fact]
    public void A_source_checkout_is_its_own_install_directory()
    {
        var env = new MocoEnvironment(_ => null, AppContext.BaseDirectory);
        Assert.True(File.Exists(Path.Combine(env.InstallDirectory, "MoCo.sln")));
    }
}
