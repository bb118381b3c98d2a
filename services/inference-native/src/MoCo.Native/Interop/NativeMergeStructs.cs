using System.Runtime.InteropServices;

namespace MoCo.Native.Interop;

/// <summary>Mirror of <c>moco_tensor_desc</c> (moco.h): 72 bytes.</summary>
[StructLayout(LayoutKind.Sequential)]
internal unsafe struct NativeTensorDesc
{
    public const int MaxDims = 8;

    public int Dtype;
    public int NDim;
    public fixed long Shape[MaxDims];
}

/// <summary>Mirror of <c>moco_merge_input</c> (moco.h), frozen layout: 96 bytes.</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct NativeMergeInput
{
    public NativeTensorDesc Tensor;
    public float Weight;
    public double Density;
    public int ModelIndex;
}

/// <summary>Mirror of <c>moco_merge_spec</c> (moco.h), version 1: 80 bytes on 64-bit platforms.</summary>
[StructLayout(LayoutKind.Sequential)]
internal unsafe struct NativeMergeSpec
{
    public int StructSize;
    public int Method;
    public byte* TensorName;
    public int IsEmbedding;
    public int NInputs;
    public NativeMergeInput* Inputs;
    public NativeTensorDesc* Base;
    public int OutDtype;
    public int Normalize;
    public int Consensus;
    public int Rescale;
    public float Lambda;
    public float Alpha;
    public float T;
    public ulong Seed;
}

/// <summary>Mirror of <c>moco_merge_plan_info</c> (moco.h), version 1: 104 bytes.</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct NativeMergePlanInfo
{
    public int StructSize;
    public NativeTensorDesc Output;
    public long Numel;
    public long Cols;
    public int InputsUsed;
    public int NeedsScan;
}
