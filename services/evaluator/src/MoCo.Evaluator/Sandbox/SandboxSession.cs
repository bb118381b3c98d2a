namespace MoCo.Evaluator.Sandbox;

/// <summary>What <see cref="ICodeSandbox.PrepareAsync"/> chose for one Evaluate call.</summary>
/// <param name="Python">The interpreter's real executable, where the programs run (the summary records it).</param>
/// <param name="PythonVersion">Its version.</param>
/// <param name="Mode">The isolation programs get.</param>
public record SandboxSession(string Python, Version PythonVersion, SandboxMode Mode);
