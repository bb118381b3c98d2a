namespace MoCo.Orchestrator.Methods.Primitives;

/// <summary>
/// The four PSO coefficients of one particle's move (methods-logit-weight.md §1.3 H1/H2, M11): inertia, cognitive,
/// social and repel, each scaled by a uniform draw when weights are randomised (the repel draw is taken even when the
/// repel term is off, so the stream of draws does not depend on it), then normalised to sum 1. Shared by the numeric
/// swarm (H1) and the model swarm (H2) so both draw in the same order.
/// </summary>
public static class SwarmCoefficients
{
    /// <summary>The normalised (inertia, cognitive, social, repel) of one move; <paramref name="draw"/> is called four times when
    /// <paramref name="weightRandomness"/>, never otherwise.</summary>
    public static (double Inertia, double Cognitive, double Social, double Repel) Draw(bool weightRandomness, double inertia, double cognitive, double social,
        double repel, bool repelTerm, Func<double> draw)
    {
        ArgumentNullException.ThrowIfNull(draw);
        double Next() => weightRandomness ? draw() : 1.0;
        var a = inertia * Next();
        var b = cognitive * Next();
        var c = social * Next();
        var rb = Next();
        var d = repelTerm ? repel * rb : 0.0;
        var sum = a + b + c + d;
        return (a / sum, b / sum, c / sum, d / sum);
    }
}
