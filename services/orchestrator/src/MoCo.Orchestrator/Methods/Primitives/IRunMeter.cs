namespace MoCo.Orchestrator.Methods.Primitives;

/// <summary>Where primitives report finished calls, so phases count done units and tokens/s without each method
/// doing it (config-and-cli.md §4.2). The run recorder implements it.</summary>
public interface IRunMeter
{
    /// <summary>One call of <paramref name="phase"/> finished on <paramref name="model"/> (stored results count too, with
    /// their recorded usage, so a resumed phase shows its true progress).</summary>
    void CallFinished(string phase, string model, CallUsage usage, bool fromStore);
}
