namespace MoCo.Router.Decoding;

/// <summary>
/// CoLLM's deferral labels (methods-api.md §8 step 3): a completion token is labelled 1 — defer — where the mentor's
/// gold token is its own argmax and the generator's is not, else 0. "Is the argmax" is numpy's isclose of the token's
/// log-prob and the position's maximum (rtol 1e-5, atol 1e-8), as the reference compares them. Prompt positions are
/// not sent at all (the trainer marks them -100).
/// </summary>
public static class CoLlmLabels
{
    /// <summary>One label per completion token.</summary>
    /// <exception cref="ArgumentException">The four lists differ in length (the models tokenised differently).</exception>
    public static int[] Of(IReadOnlyList<double> generatorLogprobs, IReadOnlyList<double> generatorMax, IReadOnlyList<double> mentorLogprobs,
        IReadOnlyList<double> mentorMax)
    {
        ArgumentNullException.ThrowIfNull(generatorLogprobs);
        ArgumentNullException.ThrowIfNull(generatorMax);
        ArgumentNullException.ThrowIfNull(mentorLogprobs);
        ArgumentNullException.ThrowIfNull(mentorMax);
        var n = generatorLogprobs.Count;
        if (generatorMax.Count != n || mentorLogprobs.Count != n || mentorMax.Count != n)
        {
            throw new ArgumentException($"the generator scored {n} completion tokens and the mentor {mentorLogprobs.Count}: the two models do not share a tokenizer");
        }
        var labels = new int[n];
        for (var t = 0; t < n; t++)
        {
            labels[t] = IsClose(mentorLogprobs[t], mentorMax[t]) && !IsClose(generatorLogprobs[t], generatorMax[t]) ? 1 : 0;
        }
        return labels;
    }

    /// <summary>numpy.isclose(a, b) with its default tolerances.</summary>
    public static bool IsClose(double a, double b) => Math.Abs(a - b) <= 1e-8 + (1e-5 * Math.Abs(b));
}
