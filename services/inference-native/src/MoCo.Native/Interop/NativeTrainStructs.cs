using System.Runtime.InteropServices;

namespace MoCo.Native.Interop;

/// <summary>Mirror of <c>moco_trainer_options</c> (moco.h), version 2: 104 bytes on 64-bit platforms.</summary>
[StructLayout(LayoutKind.Sequential)]
internal unsafe struct NativeTrainerOptions
{
    public int StructSize;
    public int Mode;
    public int LoraRank;
    public float LoraAlpha;
    public int UseRslora;
    public uint LoraTargets;
    public float LoraDropout;
    public float LearningRate;
    public float AdamBeta1;
    public float AdamBeta2;
    public float AdamEpsilon;
    public float WeightDecay;
    public float MaxGradNorm;
    public int Schedule;
    public int WarmupSteps;
    public int TotalSteps;
    public ulong Seed;
    public float DpoBeta;
    public float KlBeta;
    public int AddedVocabRows;
    public float* AddedOutputRow;
    public float PgTemperature;
    public int PgTokenMean;
}

/// <summary>
/// Mirror of <c>moco_train_example</c> (moco.h), frozen layout: 40 bytes on 64-bit platforms. Pointers are raw
/// because <c>moco_trainer_add_batch</c> pins every buffer for exactly the duration of the call.
/// </summary>
[StructLayout(LayoutKind.Sequential)]
internal unsafe struct NativeTrainExample
{
    public int* Tokens;
    public int NTokens;
    public byte* TargetMask;
    public float Reward;
    public int Group;
    public float* MentorLogprobs;
}

/// <summary>Mirror of <c>moco_train_step_stats</c> (moco.h), version 1: 56 bytes.</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct NativeTrainStepStats
{
    public int StructSize;
    public long Step;
    public float Loss;
    public float GradNorm;
    public float LearningRate;
    public long Tokens;
    public long TargetTokens;
    public float DpoMargin;
}
