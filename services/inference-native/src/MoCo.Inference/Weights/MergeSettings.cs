using System.Security.Cryptography;
using System.Text;
using MoCo.Contracts.V1;
using MoCo.Hosting.Errors;
using MoCo.Native;
using MoCo.Native.Kernels;
using KernelMethod = MoCo.Native.Merge.MergeMethod;
using MergeConsensus = MoCo.Native.Merge.MergeConsensus;
using MergeRescale = MoCo.Native.Merge.MergeRescale;
using MergeSpec = MoCo.Native.Merge.MergeSpec;

namespace MoCo.Inference.Weights;

/// <summary>A merge request checked and turned into the kernel's terms (contracts.md §4 Merge, methods-logit-weight.md M7).</summary>
/// <param name="Method">The kernel method.</param>
/// <param name="Inputs">The models the kernel merges, in order (SLERP: the t = 1 end only), with their weights and densities.</param>
/// <param name="Base">theta_b, theta_s (EXTRAPOLATE) or the t = 0 end (SLERP); null for LINEAR.</param>
/// <param name="OutputId">Id of the new model.</param>
/// <param name="OutputDtype">Requested output dtype, or null for the source model's storage dtype.</param>
public sealed record MergeSettings(KernelMethod Method, IReadOnlyList<MergeSource> Inputs, MergeSource? Base, string OutputId, MocoDtype? OutputDtype)
{
    /// <summary>Parameters copied onto every tensor's spec.</summary>
    public required Func<MergeSpec, MergeSpec> Parameters { get; init; }

    /// <summary>The model whose config, tokenizer and tensor list the output takes: the base, else the first input.</summary>
    public MergeSource Source => Base ?? Inputs[0];

    /// <summary>Validates <paramref name="request"/>; <paramref name="resolve"/> maps a model name and its field to its folder.</summary>
    /// <exception cref="Grpc.Core.RpcException">INVALID_ARGUMENT naming the field; NOT_FOUND from <paramref name="resolve"/>.</exception>
    /// <exception cref="ArgumentException">LORA_APPLY and PSO_STEP, which <see cref="LoraApplySettings"/> and <see cref="PsoStepSettings"/> take.</exception>
    public static MergeSettings From(MergeRequest request, Func<string, string, string> resolve)
    {
        ArgumentNullException.ThrowIfNull(request);
        var method = request.Method switch
        {
            MergeMethod.Linear => KernelMethod.Linear,
            MergeMethod.TaskArithmetic => KernelMethod.TaskArithmetic,
            MergeMethod.Ties => KernelMethod.Ties,
            MergeMethod.DareTies => KernelMethod.DareTies,
            MergeMethod.DareLinear => KernelMethod.DareLinear,
            MergeMethod.Extrapolate => KernelMethod.Extrapolate,
            MergeMethod.Slerp => KernelMethod.Slerp,
            // M10: A' = Σ w_i A_i and B' = Σ w_i B_i, each an unnormalised M1 over the adapter files' tensors.
            MergeMethod.LoraLinear => KernelMethod.Linear,
            MergeMethod.Unspecified => throw Invalid("method", "MISSING_FIELD", "name the merge method"),
            MergeMethod.LoraApply or MergeMethod.PsoStep => throw new ArgumentException($"{request.Method} is not a kernel merge: see LoraApplySettings and PsoStepSettings", nameof(request)),
            _ => throw Invalid("method", "INVALID_VALUE", $"unknown merge method {(int)request.Method}"),
        };
        var p = request.Params ?? new MergeParams();
        var weighted = method is not (KernelMethod.Extrapolate or KernelMethod.Slerp);
        var needsBase = method is not (KernelMethod.Linear or KernelMethod.Slerp);
        var expected = method switch { KernelMethod.Extrapolate => 1, KernelMethod.Slerp => 2, _ => 0 };
        if (request.Inputs.Count == 0 || (expected > 0 && request.Inputs.Count != expected))
        {
            throw Invalid("inputs", "INVALID_VALUE", $"{request.Method} takes {(expected > 0 ? $"exactly {expected}" : "at least one")} input(s); got {request.Inputs.Count}");
        }
        if (needsBase != (request.BaseModel is not null))
        {
            throw Invalid("base_model", needsBase ? "MISSING_FIELD" : "INVALID_VALUE", needsBase ? $"{request.Method} needs base_model" : $"{request.Method} takes no base_model");
        }
        if (method == KernelMethod.Extrapolate && p.Alpha is null)
        {
            throw Invalid("params.alpha", "MISSING_FIELD", "EXTRAPOLATE needs alpha");
        }
        if (method == KernelMethod.Slerp && p.T is null)
        {
            throw Invalid("params.t", "MISSING_FIELD", "SLERP needs t");
        }
        var lora = request.Method == MergeMethod.LoraLinear;
        if (lora && p.Normalize == true)
        {
            throw Invalid("params.normalize", "INVALID_VALUE", "LORA_LINEAR sums w_i A_i and w_i B_i unnormalised (M10); leave normalize unset or false");
        }
        var weights = Weights(request, weighted);
        var sources = request.Inputs.Select((input, i) => new MergeSource(input.Model, resolve(input.Model, $"inputs[{i}].model"), weights[i], input.Density ?? 1.0, i)).ToList();
        if (lora)
        {
            LoraAdapter.RequireComposable([.. sources.Select((s, i) => LoraAdapter.Read(s.Directory, $"inputs[{i}].model"))]);
        }
        var baseSource = request.BaseModel is { } b ? new MergeSource(b, resolve(b, "base_model"), 1f, 1.0, -1) : null;
        if (method == KernelMethod.Slerp)
        {
            // The kernel interpolates from its base (t = 0) to input 0; the contract's t = 0 is the first input.
            baseSource = sources[0];
            sources = [sources[1] with { Index = 0 }];
        }
        return new MergeSettings(method, sources, baseSource, DeriveId(request, ""), Dtype(request.OutputDtype))
        {
            Parameters = spec => spec with
            {
                Normalize = lora ? false : p.Normalize,
                Lambda = (float)(p.Lambda ?? 1.0),
                Consensus = p.Consensus == Consensus.Count ? MergeConsensus.Count : MergeConsensus.Sum,
                Rescale = p.Rescale switch
                {
                    DareRescale.L1 => MergeRescale.L1,
                    DareRescale.InverseDensity => MergeRescale.InverseDensity,
                    DareRescale.None => MergeRescale.None,
                    _ => null,
                },
                Alpha = (float)(p.Alpha ?? 0.0),
                T = (float)(p.T ?? 0.0),
                Seed = request.Seed,
            },
        };
    }

    private static float[] Weights(MergeRequest request, bool weighted)
    {
        if (!weighted)
        {
            return [.. request.Inputs.Select(_ => 1f)];
        }
        var missing = request.Inputs.Select((input, i) => (input, i)).Where(x => x.input.Weight is null).ToList();
        if (missing.Count > 0)
        {
            throw MocoErrors.InvalidArgument([.. missing.Select(m => new Problem($"inputs[{m.i}].weight", "MISSING_FIELD", $"{request.Method} needs a weight per input (M7)"))]);
        }
        float[] weights = [.. request.Inputs.Select(input => (float)input.Weight!.Value)];
        if (request.WeightsSoftmax)
        {
            var soft = new float[weights.Length];
            SoftmaxWeights.Compute(weights, soft);
            return soft;
        }
        return weights;
    }

    /// <summary>An output id: output_id when set and <paramref name="role"/> is empty, else one derived from the call key and
    /// the role (PSO_STEP's "velocity"), else a fresh one.</summary>
    internal static string DeriveId(MergeRequest request, string role) =>
        (role.Length == 0 ? request.OutputId : null) ?? (request.CallKey.Length > 0
            ? "merge-" + Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(role.Length == 0 ? request.CallKey : $"{request.CallKey}\n{role}")))[..16]
            : $"merge-{Guid.NewGuid():N}");

    /// <summary>The kernel dtype of output_dtype; null when unset.</summary>
    internal static MocoDtype? Dtype(DType dtype) => dtype switch
    {
        DType.Unspecified => null,
        DType.F32 => MocoDtype.F32,
        DType.F16 => MocoDtype.F16,
        DType.Bf16 => MocoDtype.BF16,
        _ => throw Invalid("output_dtype", "INVALID_VALUE", $"merged weights are F32, F16 or BF16; not {dtype}"),
    };

    private static Grpc.Core.RpcException Invalid(string field, string reason, string what) => MocoErrors.InvalidArgument(new Problem(field, reason, what));
}

/// <summary>One model taking part in a merge.</summary>
/// <param name="Model">Its name as requested.</param>
/// <param name="Directory">Its folder.</param>
/// <param name="Weight">Its weight (after M12 when asked).</param>
/// <param name="Density">Its TIES/DARE density.</param>
/// <param name="Index">Its index in the merge's model list (the M5 stream); -1 for the base.</param>
public sealed record MergeSource(string Model, string Directory, float Weight, double Density, int Index);
