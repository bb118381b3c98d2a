namespace MoCo.Orchestrator.Methods.Primitives;

/// <summary>Where primitives report finished calls, so phases count done units and tokens/s without each method
/// doing it (config-and-cli.md §4.2). The run recorder implements it.</summary>
public interface IRunMeter
{
    /// <summary>One call of <paramref name="phase"/> finished on <paramref name="model"/> (stored results count too, with
    /// their recorded usage, so a resumed phase shows its true progress).</summary>
    void CallFinished(string phase, string model, CallUsage usage, bool fromStore);

    /// <summary>A training job of <paramref name="phase"/> on <paramref name="model"/> finished optimizer step
    /// <paramref name="step"/> of <paramref name="totalSteps"/> with <paramref name="loss"/>, at <paramref name="stepsPerSecond"/>
    /// since the job started (training progress shows steps/s and loss, config-and-cli.md §4.2).</summary>
    void TrainingStep(string phase, string model, int step, int totalSteps, double loss, double stepsPerSecond);
}
