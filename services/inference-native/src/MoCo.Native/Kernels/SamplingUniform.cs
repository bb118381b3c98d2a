using MoCo.Native.Interop;

namespace MoCo.Native.Kernels;

/// <summary>
/// The L5 uniform libmoco's sampler draws with (<c>moco_sampling_uniform</c>), for callers that draw from
/// distributions they build themselves and must stay on the engine's stream. <see cref="ManagedPhilox.SamplingUniform"/>
/// gives the same bits without a native call.
/// </summary>
public static class SamplingUniform
{
    /// <summary>u in [0, 1) for draw <paramref name="tokensGenerated"/> of sample <paramref name="sampleIndex"/> under <paramref name="seed"/>.</summary>
    public static float Draw(ulong seed, ulong tokensGenerated, ulong sampleIndex) =>
        NativeMethods.moco_sampling_uniform(seed, tokensGenerated, sampleIndex);
}
