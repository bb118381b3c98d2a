using MoCo.Contracts.V1;
using MoCo.Native;

namespace MoCo.Inference.Weights;

/// <summary>The dtypes of safetensors headers, of the contracts (<see cref="DType"/>) and of the merge kernels (<see cref="MocoDtype"/>).</summary>
public static class WeightDtypes
{
    private static readonly (string Name, DType Wire, int Size)[] Known =
    [
        ("F32", DType.F32, 4), ("F16", DType.F16, 2), ("BF16", DType.Bf16, 2), ("I32", DType.I32, 4),
        ("I64", DType.I64, 8), ("U8", DType.U8, 1), ("BOOL", DType.Bool, 1),
    ];

    /// <summary>The wire dtype of a safetensors dtype string; UNSPECIFIED for one the contracts cannot carry.</summary>
    public static DType ToWire(string dtype) => Known.FirstOrDefault(k => k.Name == dtype).Wire;

    /// <summary>The safetensors dtype string of a wire dtype, or null for UNSPECIFIED and unknown values.</summary>
    public static string? ToSafetensors(DType dtype) => Known.FirstOrDefault(k => k.Wire == dtype && dtype != DType.Unspecified).Name;

    /// <summary>Bytes per element of a wire dtype (0 when unknown).</summary>
    public static int Size(DType dtype) => Known.FirstOrDefault(k => k.Wire == dtype).Size;

    /// <summary>The kernel dtype of a safetensors dtype string, or null for one the merge kernels do not take (integers).</summary>
    public static MocoDtype? ToKernel(string dtype) => dtype switch
    {
        "F32" => MocoDtype.F32,
        "F16" => MocoDtype.F16,
        "BF16" => MocoDtype.BF16,
        _ => null,
    };

    /// <summary>The safetensors dtype string of a kernel dtype.</summary>
    public static string FromKernel(MocoDtype dtype) => dtype switch
    {
        MocoDtype.F16 => "F16",
        MocoDtype.BF16 => "BF16",
        _ => "F32",
    };
}
