using MoCo.Evaluator.Sandbox;

namespace MoCo.Evaluator.Tests.Support;

/// <summary>A test of the namespace sandbox: it needs Linux and root (as CI runs), and is skipped elsewhere with the
/// reason, rather than failing on a developer laptop.</summary>
public sealed class SandboxFactAttribute : FactAttribute
{
    public SandboxFactAttribute()
    {
        if (!SandboxRunner.IsRoot)
        {
            Skip = "the namespace sandbox needs Linux and root (CI runs as root)";
        }
    }
}
