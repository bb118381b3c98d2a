using System.Globalization;
using System.Security.Cryptography;
using System.Text.RegularExpressions;

namespace MoCo.Orchestrator.Runs;

/// <summary>Run ids (config-and-cli.md §5.1): UTC start plus 4 random base-32 characters, `YYYYMMDD-HHMMSS-xxxx`.</summary>
public static partial class RunIds
{
    private const string Alphabet = "0123456789abcdefghjkmnpqrstvwxyz";

    [GeneratedRegex("^[0-9]{8}-[0-9]{6}-[0-9a-z]{4}$")]
    private static partial Regex Pattern();

    /// <summary>A new id for a run started at <paramref name="startedAt"/>.</summary>
    public static string New(DateTimeOffset startedAt)
    {
        Span<char> suffix = stackalloc char[4];
        for (var i = 0; i < suffix.Length; i++)
        {
            suffix[i] = Alphabet[RandomNumberGenerator.GetInt32(Alphabet.Length)];
        }
        return startedAt.UtcDateTime.ToString("yyyyMMdd-HHmmss", CultureInfo.InvariantCulture) + "-" + suffix.ToString();
    }

    /// <summary>Whether <paramref name="id"/> has the run id shape.</summary>
    public static bool IsValid(string id) => Pattern().IsMatch(id);
}
