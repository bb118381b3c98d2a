using DotNet.Testcontainers.Builders;
using DotNet.Testcontainers.Containers;
using Npgsql;

namespace MoCo.Orchestrator.Tests.Runs;

/// <summary>
/// One PostgreSQL container for the PostgreSQL store tests, from the local image scripts/postgres-image.sh builds (no
/// registry is reachable, so nothing is pulled), started through Testcontainers without its reaper (its image
/// cannot be pulled either: TESTCONTAINERS_RYUK_DISABLED) and removed when the tests end. Each test gets a fresh
/// database. Without Docker or the image the tests fail saying so; a developer may set MOCO_SKIP_DOCKER_TESTS=1 to
/// report them skipped instead, which CI (CI=true) ignores.
/// </summary>
public sealed class PostgresServer : IAsyncLifetime
{
    /// <summary>The image scripts/postgres-image.sh builds.</summary>
    public const string Image = "moco/postgres:15";

    private const string User = "moco";
    private const string Password = "moco-test";
    private IContainer? _container;
    private Exception? _unavailable;
    private int _databases;

    /// <summary>Why the server could not start, or null once it runs.</summary>
    public string? Unavailable => _unavailable is null ? null
        : $"PostgreSQL in Docker ({Image}) could not start: {_unavailable.Message}. Build the image and start dockerd with "
          + "`bash scripts/postgres-image.sh` (needs root), or set MOCO_SKIP_DOCKER_TESTS=1 to skip these tests on a machine without Docker";

    /// <summary>Whether Docker-less runs are reported as skipped: asked for, and not in CI.</summary>
    public static bool SkipWithoutDocker =>
        Environment.GetEnvironmentVariable("MOCO_SKIP_DOCKER_TESTS") == "1" && Environment.GetEnvironmentVariable("CI") != "true";

    public async Task InitializeAsync()
    {
        Environment.SetEnvironmentVariable("TESTCONTAINERS_RYUK_DISABLED", "true");
        try
        {
            await MoCo.Testing.DockerApi.UseDaemonVersionAsync();
            _container = new ContainerBuilder(Image)
                .WithImagePullPolicy(_ => false)
                .WithEnvironment("POSTGRES_USER", User)
                .WithEnvironment("POSTGRES_PASSWORD", Password)
                .WithEnvironment("POSTGRES_DB", User)
                .WithCommand("-c", "fsync=off")
                .WithPortBinding(5432, assignRandomHostPort: true)
                // pg_isready over TCP: the entrypoint's setup server listens on its Unix socket only.
                .WithWaitStrategy(Wait.ForUnixContainer().UntilCommandIsCompleted("pg_isready", "-h", "127.0.0.1", "-U", User))
                .Build();
            await _container.StartAsync();
        }
        catch (Exception e)
        {
            _unavailable = e;
        }
    }

    public async Task DisposeAsync()
    {
        if (_container is not null)
        {
            await _container.DisposeAsync();
        }
    }

    /// <summary>A keyword connection string to a new, empty database.</summary>
    public async Task<string> NewDatabaseAsync()
    {
        if (Unavailable is { } reason)
        {
            Skip.If(SkipWithoutDocker, reason);
            throw new InvalidOperationException(reason, _unavailable);
        }
        var name = $"runs_{Interlocked.Increment(ref _databases)}";
        await using (var admin = new NpgsqlConnection(ConnectionString(User)))
        {
            await admin.OpenAsync();
            await using var create = new NpgsqlCommand($"CREATE DATABASE {name}", admin);
            await create.ExecuteNonQueryAsync();
        }
        return ConnectionString(name);
    }

    /// <summary>The same database as a postgresql:// URI (the other form MOCO_RUN_STORE takes).</summary>
    public static string Uri(string connectionString)
    {
        var b = new NpgsqlConnectionStringBuilder(connectionString);
        return $"postgresql://{b.Username}:{System.Uri.EscapeDataString(b.Password!)}@{b.Host}:{b.Port}/{b.Database}";
    }

    private string ConnectionString(string database) => new NpgsqlConnectionStringBuilder
    {
        Host = _container!.Hostname,
        Port = _container.GetMappedPublicPort(5432),
        Username = User,
        Password = Password,
        Database = database,
    }.ToString();
}

/// <summary>The test classes that share one <see cref="PostgresServer"/> container.</summary>
[CollectionDefinition(Name)]
public sealed class PostgresCollection : ICollectionFixture<PostgresServer>
{
    /// <summary>The collection's name.</summary>
    public const string Name = "PostgreSQL";
}
