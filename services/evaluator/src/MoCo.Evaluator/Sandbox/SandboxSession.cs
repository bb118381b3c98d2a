namespace MoCo.Evaluator.Sandbox;

/// <summary>What <see cref="ICodeSandbox.PrepareAsync"/> chose for one Evaluate call.</summary>
/// <param name="Python">The interpreter's real executable, where the programs run (the summary records it).</param>
/// <param name="PythonVersion">Its version.</param>
/// <param name="Mode">The isolation programs get.</param>
public record SandboxSession(string Python, Version PythonVersion, SandboxMode Mode)
{
    /// <summary>One line for people (readiness, `moco doctor`): "namespaces isolation, /usr/bin/python3 3.11.2".</summary>
    public string Describe() => $"{Mode.ToString().ToLowerInvariant()} isolation, {Python} {PythonVersion}";
}
