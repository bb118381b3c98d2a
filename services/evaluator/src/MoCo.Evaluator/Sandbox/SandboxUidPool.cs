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

    /// <summary>Gives <paramref name="uid"/> back once its program and every process it started are gone.</summary>
    public void Return(int uid)
    {
        lock (_gate)
        {
            _free.Add(uid);
        }
    }
}
