using MoCo.Orchestrator.Runs;
using Npgsql;

namespace MoCo.Orchestrator.Tests.Runs;

/// <summary>How MOCO_RUN_STORE / --store picks and reaches a store (config-and-cli.md §5.1, §6); no server needed.</summary>
public sealed class RunStoresTests
{
    [Fact]
    public void Postgres_values_are_told_from_paths()
    {
        Assert.True(RunStores.IsPostgres("postgresql://moco@db/moco"));
        Assert.True(RunStores.IsPostgres("postgres://moco@db/moco"));
        Assert.True(RunStores.IsPostgres("Host=db;Username=moco"));
        Assert.False(RunStores.IsPostgres("/home/me/.local/share/moco/runs.db"));
        Assert.False(RunStores.IsPostgres("sqlite:runs.db"));
    }

    [Fact]
    public void A_uri_becomes_npgsql_settings()
    {
        var settings = PostgresConnectionString.Parse("postgresql://moco:p%40ss%3Aw@db.example:6543/run%20store?sslmode=require&application_name=moco");
        Assert.Equal(("db.example", 6543, "moco", "p@ss:w", "run store"), (settings.Host, settings.Port, settings.Username, settings.Password, settings.Database));
        Assert.Equal(SslMode.Require, settings.SslMode);
        Assert.Equal("moco", settings.ApplicationName);

        var local = PostgresConnectionString.Parse("postgres://[::1]/runs");
        Assert.Equal(("::1", 5432, "runs"), (local.Host, local.Port, local.Database));
        Assert.Equal("localhost", PostgresConnectionString.Parse("postgresql:///runs").Host);
    }

    [Fact]
    public void A_printed_store_hides_the_password()
    {
        Assert.Equal("PostgreSQL moco@db:5432/runs", PostgresConnectionString.Redact("postgresql://moco:secret@db/runs"));
        Assert.Equal("PostgreSQL moco@db:6000/moco", PostgresConnectionString.Redact("Host=db;Port=6000;Username=moco;Password=secret"));
        Assert.Equal("a malformed PostgreSQL connection string", PostgresConnectionString.Redact("Host=db;Passwrd=secret"));
    }

    [Theory]
    [InlineData("Host=db;Usernam=moco", "Usernam")]
    [InlineData("postgresql://moco@db:port/runs", "postgresql://user:password@host:5432/database")]
    [InlineData("postgresql://moco@db/runs?sslmod=require", "sslmod")]
    public async Task A_malformed_value_names_the_setting_and_the_form(string value, string mentioned)
    {
        var error = await Assert.ThrowsAsync<RunStoreUnavailableException>(() => RunStores.OpenAsync(value));
        Assert.Contains("MOCO_RUN_STORE (or --store) is not a PostgreSQL connection string", error.Message);
        Assert.Contains(mentioned, error.Message);
    }

    [Fact]
    public async Task An_unreachable_server_names_the_setting_and_the_server_but_not_the_password()
    {
        // Port 1 on loopback refuses at once: nothing listens there.
        var error = await Assert.ThrowsAsync<RunStoreUnavailableException>(() => RunStores.OpenAsync("postgresql://moco:secret@127.0.0.1:1/runs"));
        Assert.StartsWith("the run store set by MOCO_RUN_STORE (or --store) (PostgreSQL moco@127.0.0.1:1/runs) cannot be opened: ", error.Message);
        Assert.DoesNotContain("secret", error.Message);
    }
}
