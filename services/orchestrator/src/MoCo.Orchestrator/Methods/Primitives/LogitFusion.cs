namespace MoCo.Orchestrator.Methods.Primitives;

/// <summary>
/// The logit kernels L2–L5 (methods-logit-weight.md §1.1) in managed f32 code, for an ensemble whose members live on
/// different replicas: the orchestrator reads each member's full next-token log-probs from Decode and combines and
/// draws here what GenerateEnsemble combines and draws in libmoco. Log-probs and raw logits differ by a per-row
/// constant and every combination's coefficients sum to 1 (uniform, contrastive) or scale it (weights), so the
/// softmax is the same within rounding. The draw is libmoco's exactly: the L5 uniform of the Philox4x32-10 stream
/// keyed by the seed at counter (tokens generated, sample index), and the inverse CDF over exp_f32(z − max) summed in
/// f64 in id order (moco.h "Counter-based random stream"; sampling.cpp).
/// </summary>
public static class LogitFusion
{
    /// <summary>Combines the members' rows (<paramref name="rows"/>[i] is member i's, at least
    /// <paramref name="vocab"/> = V* long) into V* floats per <paramref name="spec"/>: L2, or L3 then L4.</summary>
    public static float[] Combine(EnsembleSpec spec, IReadOnlyList<float[]> rows, int vocab)
    {
        ArgumentNullException.ThrowIfNull(spec);
        ArgumentNullException.ThrowIfNull(rows);
        var output = new float[vocab];
        if (spec.Kind == EnsembleKind.Fuse)
        {
            if (spec.Weights is null)
            {
                foreach (var row in rows)
                {
                    for (var v = 0; v < vocab; v++)
                    {
                        output[v] += row[v];
                    }
                }
                var count = (float)rows.Count;
                for (var v = 0; v < vocab; v++)
                {
                    output[v] /= count;
                }
                return output;
            }
            for (var i = 0; i < rows.Count; i++)
            {
                // A weight-0 member is skipped, never multiplied: 0·(−inf) would be NaN.
                var w = (float)spec.Weights[i];
                if (w == 0)
                {
                    continue;
                }
                for (var v = 0; v < vocab; v++)
                {
                    output[v] += w * rows[i][v];
                }
            }
            return output;
        }
        var lambda = (float)spec.Lambda;
        for (var j = 0; j < spec.Top.Count; j++)
        {
            var top = rows[spec.Top[j]];
            var bottom = rows[spec.Bottom[j]];
            for (var v = 0; v < vocab; v++)
            {
                output[v] += top[v];
                output[v] -= bottom[v];
            }
        }
        var anchor = rows[spec.Top[0]];
        for (var v = 0; v < vocab; v++)
        {
            output[v] = lambda * output[v] + anchor[v];
        }
        var alpha = (float)spec.PlausibilityAlpha;
        if (alpha > 0)
        {
            var max = anchor.AsSpan(0, vocab).ToArray().Max();
            var cut = max + MathF.Log(alpha);
            for (var v = 0; v < vocab; v++)
            {
                if (!(anchor[v] >= cut))
                {
                    output[v] = float.NegativeInfinity;
                }
            }
        }
        return output;
    }

    /// <summary>L5: the token of <paramref name="z"/> at <paramref name="temperature"/> (0 = argmax, lowest id on
    /// ties), drawn with the uniform of (<paramref name="seed"/>, <paramref name="tokensGenerated"/>,
    /// <paramref name="sampleIndex"/>).</summary>
    /// <exception cref="ArgumentException">No finite entry.</exception>
    public static int Pick(ReadOnlySpan<float> z, double temperature, ulong seed, ulong tokensGenerated, ulong sampleIndex)
    {
        var max = float.NegativeInfinity;
        foreach (var x in z)
        {
            max = Math.Max(max, x);
        }
        if (max == float.NegativeInfinity || float.IsNaN(max))
        {
            throw new ArgumentException("the combined row has no finite entry", nameof(z));
        }
        var t = (float)temperature;
        if (t == 0)
        {
            return z.IndexOf(max);
        }
        var scaled = new float[z.Length];
        for (var v = 0; v < z.Length; v++)
        {
            scaled[v] = t == 1f ? z[v] : z[v] / t;
        }
        var m = float.NegativeInfinity;
        foreach (var x in scaled)
        {
            m = Math.Max(m, x);
        }
        // Ids at −inf are no candidates: they add nothing and can never be the first above the target.
        var prefix = new double[z.Length];
        var running = 0.0;
        var last = -1;
        for (var v = 0; v < scaled.Length; v++)
        {
            if (scaled[v] > float.NegativeInfinity)
            {
                running += ExpF32(scaled[v] - m);
                last = v;
            }
            prefix[v] = running;
        }
        var target = (double)SamplingUniform(seed, tokensGenerated, sampleIndex) * running;
        for (var v = 0; v < last; v++)
        {
            if (scaled[v] > float.NegativeInfinity && prefix[v] > target)
            {
                return v;
            }
        }
        return last;
    }

    /// <summary>The L5 uniform: Philox4x32-10 keyed by <paramref name="seed"/> at counter (tokens generated, sample
    /// index) as 32-bit halves, u = (out[0] &gt;&gt; 8)·2⁻²⁴ — libmoco's moco_sampling_uniform.</summary>
    public static float SamplingUniform(ulong seed, ulong tokensGenerated, ulong sampleIndex)
    {
        uint x0 = (uint)tokensGenerated, x1 = (uint)(tokensGenerated >> 32), x2 = (uint)sampleIndex, x3 = (uint)(sampleIndex >> 32);
        uint k0 = (uint)seed, k1 = (uint)(seed >> 32);
        for (var round = 0; round < 10; round++)
        {
            var p0 = 0xD2511F53UL * x0;
            var p1 = 0xCD9E8D57UL * x2;
            (x0, x1, x2, x3) = ((uint)(p1 >> 32) ^ x1 ^ k0, (uint)p1, (uint)(p0 >> 32) ^ x3 ^ k1, (uint)p0);
            k0 += 0x9E3779B9u;
            k1 += 0xBB67AE85u;
        }
        return (x0 >> 8) * (1.0f / 16777216.0f);
    }

    /// <summary>libmoco's exp_f32 for x ≤ 0 (Cephes expf, a fixed sequence of float operations, so the same bits in
    /// every language; below ln 2⁻¹²⁶ → 0).</summary>
    public static float ExpF32(float x)
    {
        const float Log2e = 1.44269504088896341f;
        const float Ln2Hi = 0.693359375f;
        const float Ln2Lo = -2.12194440e-4f;
        const float Round = 12582912.0f;
        const float Min = -87.3365479f;
        var clamped = x < Min ? Min : (x > 0f ? 0f : x);
        var n = (clamped * Log2e + Round) - Round;
        var r = (clamped - n * Ln2Hi) - n * Ln2Lo;
        var p = 1.9875691500e-4f;
        p = p * r + 1.3981999507e-3f;
        p = p * r + 8.3334519073e-3f;
        p = p * r + 4.1665795894e-2f;
        p = p * r + 1.6666665459e-1f;
        p = p * r + 5.0000001201e-1f;
        p = p * (r * r) + r + 1.0f;
        var scale = BitConverter.Int32BitsToSingle(((int)n + 127) << 23);
        return x < Min ? 0f : p * scale;
    }
}
