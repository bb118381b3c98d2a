using System.Runtime.InteropServices;

namespace MoCo.Native.Interop;

/// <summary>Mirror of <c>moco_sampling_options</c> (moco.h), version 1: 24 bytes.</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct NativeSamplingOptions
{
    public int StructSize;
    public float Temperature;
    public int TopK;
    public float TopP;
    public float MinP;
    public float RepetitionPenalty;
}

/// <summary>Mirror of <c>moco_vocab</c> (moco.h): 40 bytes on 64-bit platforms. Only read during the call.</summary>
[StructLayout(LayoutKind.Sequential)]
internal unsafe struct NativeVocab
{
    public byte* ModelName;
    public int HeadRows;
    public int NTokens;
    public byte* TokenBytes;
    public long* TokenOffsets;
    public int EosId;
}
