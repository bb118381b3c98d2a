using Npgsql;

namespace MoCo.Orchestrator.Runs;

/// <summary>Reads MOCO_RUN_STORE's PostgreSQL forms (config-and-cli.md §6): a libpq-style
/// `postgresql://user:password@host:port/database?sslmode=require` URI, or an Npgsql keyword string.</summary>
public static class PostgresConnectionString
{
    private static readonly Dictionary<string, string> UriParameters = new(StringComparer.OrdinalIgnoreCase)
    {
        ["sslmode"] = "SSL Mode",
        ["application_name"] = "Application Name",
        ["connect_timeout"] = "Timeout",
        ["options"] = "Options",
        ["target_session_attrs"] = "Target Session Attributes",
        ["sslrootcert"] = "Root Certificate",
        ["sslcert"] = "SSL Certificate",
        ["sslkey"] = "SSL Key",
    };

    /// <summary>The Npgsql settings of <paramref name="value"/>.</summary>
    /// <exception cref="RunStoreUnavailableException">The value is neither form, or names an unknown setting.</exception>
    public static NpgsqlConnectionStringBuilder Parse(string value)
    {
        try
        {
            return value.StartsWith("postgresql://", StringComparison.OrdinalIgnoreCase) || value.StartsWith("postgres://", StringComparison.OrdinalIgnoreCase)
                ? FromUri(value)
                : new NpgsqlConnectionStringBuilder(value);
        }
        catch (Exception e) when (e is ArgumentException or FormatException)
        {
            throw new RunStoreUnavailableException($"is not a PostgreSQL connection string ({e.Message}); " +
                "write postgresql://user:password@host:5432/database or Host=…;Username=…;Password=…;Database=…", e);
        }
    }

    /// <summary>Where the settings point, without the password: "moco@db:5432/runs".</summary>
    public static string Describe(NpgsqlConnectionStringBuilder settings) =>
        $"{settings.Username}@{settings.Host}:{settings.Port}/{settings.Database ?? settings.Username}";

    /// <summary>What <paramref name="value"/> names, safe to print: "PostgreSQL moco@db:5432/runs", or that it is malformed.</summary>
    public static string Redact(string value)
    {
        try
        {
            return "PostgreSQL " + Describe(Parse(value));
        }
        catch (RunStoreUnavailableException)
        {
            return "a malformed PostgreSQL connection string";
        }
    }

    private static NpgsqlConnectionStringBuilder FromUri(string value)
    {
        var rest = value[(value.IndexOf("://", StringComparison.Ordinal) + 3)..];
        var query = "";
        if (rest.IndexOf('?', StringComparison.Ordinal) is var q and >= 0)
        {
            (rest, query) = (rest[..q], rest[(q + 1)..]);
        }
        var database = "";
        if (rest.IndexOf('/', StringComparison.Ordinal) is var slash and >= 0)
        {
            (rest, database) = (rest[..slash], Uri.UnescapeDataString(rest[(slash + 1)..]));
        }
        var builder = new NpgsqlConnectionStringBuilder();
        if (rest.LastIndexOf('@') is var at and >= 0)
        {
            var user = rest[..at];
            rest = rest[(at + 1)..];
            if (user.IndexOf(':', StringComparison.Ordinal) is var colon and >= 0)
            {
                builder.Password = Uri.UnescapeDataString(user[(colon + 1)..]);
                user = user[..colon];
            }
            builder.Username = Uri.UnescapeDataString(user);
        }
        // host, host:port, [v6], [v6]:port; a comma-separated list is passed on as Npgsql's multi-host form.
        var portAt = rest.StartsWith('[') ? rest.IndexOf("]:", StringComparison.Ordinal) + 1 : rest.LastIndexOf(':');
        if (portAt > 0)
        {
            builder.Port = int.Parse(rest[(portAt + 1)..], System.Globalization.CultureInfo.InvariantCulture);
            rest = rest[..portAt];
        }
        builder.Host = rest.Trim('[', ']') is { Length: > 0 } host ? Uri.UnescapeDataString(host) : "localhost";
        if (database.Length > 0)
        {
            builder.Database = database;
        }
        foreach (var pair in query.Split('&', StringSplitOptions.RemoveEmptyEntries))
        {
            var (key, setting) = pair.IndexOf('=', StringComparison.Ordinal) is var eq and >= 0 ? (pair[..eq], pair[(eq + 1)..]) : (pair, "");
            key = Uri.UnescapeDataString(key);
            builder[UriParameters.GetValueOrDefault(key, key)] = Uri.UnescapeDataString(setting);
        }
        return builder;
    }
}
