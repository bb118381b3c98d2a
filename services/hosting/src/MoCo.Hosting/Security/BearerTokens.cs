using System.Security.Cryptography;
using System.Text;

namespace MoCo.Hosting.Security;

/// <summary>
/// The accepted bearer tokens of a file (the gateway's Moco:Gateway:Auth:TokensFile, the sandbox's
/// Moco:Sandbox:TokensFile), kept as SHA-256 digests and compared in constant time. The file is read at start (a
/// missing, empty or weak one stops the host naming the setting) and again whenever its write time changes; a rewrite
/// that leaves it unreadable or empty keeps the last good tokens rather than locking everyone out.
/// </summary>
public sealed class BearerTokens
{
    /// <summary>Shortest token accepted: 128 bits of hex, so a guessable word is never a credential.</summary>
    public const int MinimumLength = 32;

    private readonly string? _path;
    private readonly Lock _gate = new();
    private IReadOnlyList<byte[]> _digests = [];
    private DateTime _readAt;

    private BearerTokens(string? path) => _path = path;

    /// <summary>No check: every call passes.</summary>
    public static BearerTokens None { get; } = new(null);

    /// <summary>Whether calls must present a token.</summary>
    public bool Required => _path is not null;

    /// <summary>The tokens of <paramref name="tokensFile"/>, read from the setting <paramref name="setting"/> (which a
    /// problem names); <see cref="None"/> when no file is named.</summary>
    public static BearerTokens Load(string? tokensFile, string setting)
    {
        if (string.IsNullOrWhiteSpace(tokensFile))
        {
            return None;
        }
        var path = Path.GetFullPath(tokensFile);
        if (!File.Exists(path))
        {
            throw new MocoConfigurationException(setting, $"'{path}' does not exist", "point it at a file of tokens, one per line (a mounted Secret), or remove it to accept every caller");
        }
        var tokens = new BearerTokens(path);
        var (digests, problem) = Read(path);
        if (problem is not null)
        {
            throw new MocoConfigurationException(setting, $"'{path}': {problem}",
                $"put one token of at least {MinimumLength} characters per line, e.g. from `openssl rand -hex 32`");
        }
        tokens._digests = digests;
        tokens._readAt = File.GetLastWriteTimeUtc(path);
        return tokens;
    }

    /// <summary>The token of an <c>authorization</c> header value ("Bearer &lt;token&gt;", the scheme in any case);
    /// null when it holds none.</summary>
    public static string? Presented(string? authorization)
    {
        const string scheme = "Bearer ";
        return authorization is not null && authorization.StartsWith(scheme, StringComparison.OrdinalIgnoreCase) && authorization.Length > scheme.Length
            ? authorization[scheme.Length..].Trim()
            : null;
    }

    /// <summary>Whether <paramref name="token"/> is one of the file's.</summary>
    public bool Accepts(string token)
    {
        var digest = SHA256.HashData(Encoding.UTF8.GetBytes(token));
        var accepted = false;
        foreach (var known in Current())
        {
            accepted |= CryptographicOperations.FixedTimeEquals(known, digest);
        }
        return accepted;
    }

    private IReadOnlyList<byte[]> Current()
    {
        var written = File.GetLastWriteTimeUtc(_path!);
        lock (_gate)
        {
            if (written != _readAt)
            {
                var (digests, problem) = Read(_path!);
                if (problem is null)
                {
                    _digests = digests;
                }
                _readAt = written;
            }
            return _digests;
        }
    }

    private static (IReadOnlyList<byte[]> Digests, string? Problem) Read(string path)
    {
        string[] lines;
        try
        {
            lines = File.ReadAllLines(path);
        }
        catch (IOException e)
        {
            return ([], e.Message);
        }
        catch (UnauthorizedAccessException e)
        {
            return ([], e.Message);
        }
        var tokens = lines.Select(l => l.Trim()).Where(l => l.Length > 0 && !l.StartsWith('#')).ToList();
        if (tokens.Count == 0)
        {
            return ([], "holds no token");
        }
        var shortLine = tokens.FindIndex(t => t.Length < MinimumLength);
        return shortLine >= 0
            ? ([], $"token {shortLine + 1} has {tokens[shortLine].Length} characters, fewer than {MinimumLength}")
            : ([.. tokens.Select(t => SHA256.HashData(Encoding.UTF8.GetBytes(t)))], null);
    }
}
