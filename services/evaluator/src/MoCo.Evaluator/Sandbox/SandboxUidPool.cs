using System.Globalization;

namespace MoCo.Evaluator.Sandbox;

/// <summary>
/// Unprivileged uids for sandboxed programs, one per program running at once. A root evaluator drops each program
/// to its own uid (never uid 0, whom RLIMIT_NPROC does not bind): RLIMIT_NPROC counts a uid's processes across the
/// whole system, so a shared uid would let concurrent programs eat each other's process budget.
/// </summary>
public sealed class SandboxUidPool(int baseUid)
{
    private readonly Lock _gate = new();
    private readonly SortedSet<int> _free = [];
    private int _next;

    /// <summary>The first uid handed out.</summary>
    public int BaseUid { get; } = baseUid > 0 ? baseUid : throw new ArgumentOutOfRangeException(nameof(baseUid), "the sandbox uid base must be > 0");

    /// <summary>A uid no running program holds.</summary>
    public int Rent()
    {
        lock (_gate)
        {
            if (_free.Count > 0)
            {
                var uid = _free.Min;
                _free.Remove(uid);
                return uid;
            }
            return BaseUid + _next++;
        }
    }

    /// <summary>Gives <paramref name="uid"/> back once its program is done. A killed program's processes die a moment
    /// after its launcher (the kill of a process tree, or of a PID namespace, is not waited for), and RLIMIT_NPROC would
    /// charge the ones still there to the next program given the uid - a fork bomb's leftovers failing the next
    /// program's fork. So a uid that still has processes is retired, and the next program gets a fresh one.</summary>
    public void Return(int uid)
    {
        if (HasProcesses(uid))
        {
            return;
        }
        lock (_gate)
        {
            _free.Add(uid);
        }
    }

    /// <summary>Whether a process runs with real uid <paramref name="uid"/> (/proc; false where there is none).</summary>
    public static bool HasProcesses(int uid) => Processes().Any(p => p.RealUid == uid);

    /// <summary>Every process /proc lists (none where there is no /proc), with its real uid.</summary>
    public static IEnumerable<(string Process, long RealUid)> Processes()
    {
        if (!Directory.Exists("/proc"))
        {
            yield break;
        }
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            if (!char.IsAsciiDigit(Path.GetFileName(dir)[0]))
            {
                continue;
            }
            string? line;
            try
            {
                // "Uid:\treal\teffective\tsaved\tfs"
                line = File.ReadLines(Path.Combine(dir, "status")).FirstOrDefault(l => l.StartsWith("Uid:", StringComparison.Ordinal));
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                continue;  // the process ended while being read
            }
            if (line is not null)
            {
                yield return (dir, long.Parse(line.Split('\t', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture));
            }
        }
    }
}
