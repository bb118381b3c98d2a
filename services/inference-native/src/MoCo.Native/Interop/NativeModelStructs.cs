using System.Runtime.InteropServices;

namespace MoCo.Native.Interop;

/// <summary>Mirror of <c>moco_model_options</c> (moco.h), version 1: 8 bytes.</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct NativeModelOptions
{
    public int StructSize;
    public int UseMmap;
}

/// <summary>Mirror of <c>moco_model_info</c> (moco.h), version 1: 120 bytes on every platform.</summary>
[StructLayout(LayoutKind.Sequential)]
internal unsafe struct NativeModelInfo
{
    public const int ArchitectureSize = 64;

    public int StructSize;
    public fixed byte Architecture[ArchitectureSize];
    public int VocabSize;
    public int HiddenSize;
    public int IntermediateSize;
    public int NumLayers;
    public int NumHeads;
    public int NumKvHeads;
    public int HeadDim;
    public int MaxPositionEmbeddings;
    public int OutputSize;
    public int IsClassifier;
    public int Dtype;
    public ulong ParameterCount;
}
