using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using MoCo.Native.Interop;

namespace MoCo.Native.Tests;

/// <summary>
/// Every mirrored struct has moco.h's size and field offsets. The expected numbers were read from moco.h
/// with x86-64 / AArch64 natural alignment (and confirmed with offsetof in a C compiler); 64-bit only.
/// </summary>
public class NativeLayoutTests
{
    public static TheoryData<Type, int> Sizes => new()
    {
        { typeof(NativeContextOptions), 24 },
        { typeof(NativeModelOptions), 8 },
        { typeof(NativeModelInfo), 120 },
        { typeof(NativeKvCacheOptions), 24 },
        { typeof(NativeKvCacheStats), 32 },
        { typeof(NativeBatchEntry), 72 },
        { typeof(NativeSampleRequest), 80 },
        { typeof(NativeSamplingOptions), 24 },
        { typeof(NativeVocab), 40 },
        { typeof(NativeTensorDesc), 72 },
        { typeof(NativeMergeInput), 96 },
        { typeof(NativeMergeSpec), 80 },
        { typeof(NativeMergePlanInfo), 104 },
        { typeof(NativeTrainerOptions), 104 },
        { typeof(NativeTrainExample), 40 },
        { typeof(NativeTrainStepStats), 56 },
    };

    public static TheoryData<Type, string, int> Offsets => new()
    {
        { typeof(NativeModelInfo), nameof(NativeModelInfo.VocabSize), 68 },
        { typeof(NativeModelInfo), nameof(NativeModelInfo.OutputSize), 100 },
        { typeof(NativeModelInfo), nameof(NativeModelInfo.Dtype), 108 },
        { typeof(NativeModelInfo), nameof(NativeModelInfo.ParameterCount), 112 },
        { typeof(NativeKvCacheOptions), nameof(NativeKvCacheOptions.MemoryBytes), 8 },
        { typeof(NativeKvCacheOptions), nameof(NativeKvCacheOptions.MaxSequences), 20 },
        { typeof(NativeKvCacheStats), nameof(NativeKvCacheStats.MemoryBytes), 24 },
        { typeof(NativeBatchEntry), nameof(NativeBatchEntry.Tokens), 8 },
        { typeof(NativeBatchEntry), nameof(NativeBatchEntry.NTokens), 16 },
        { typeof(NativeBatchEntry), nameof(NativeBatchEntry.Adapter), 24 },
        { typeof(NativeBatchEntry), nameof(NativeBatchEntry.LogitsMode), 32 },
        { typeof(NativeBatchEntry), nameof(NativeBatchEntry.Logits), 40 },
        { typeof(NativeBatchEntry), nameof(NativeBatchEntry.HiddenMode), 48 },
        { typeof(NativeBatchEntry), nameof(NativeBatchEntry.Hidden), 56 },
        { typeof(NativeBatchEntry), nameof(NativeBatchEntry.AttendPrefix), 64 },
        { typeof(NativeSampleRequest), nameof(NativeSampleRequest.Options), 4 },
        { typeof(NativeSampleRequest), nameof(NativeSampleRequest.History), 32 },
        { typeof(NativeSampleRequest), nameof(NativeSampleRequest.NHistory), 40 },
        { typeof(NativeSampleRequest), nameof(NativeSampleRequest.Seed), 48 },
        { typeof(NativeSampleRequest), nameof(NativeSampleRequest.TokensGenerated), 56 },
        { typeof(NativeSampleRequest), nameof(NativeSampleRequest.SampleIndex), 64 },
        { typeof(NativeSampleRequest), nameof(NativeSampleRequest.Processed), 72 },
        { typeof(NativeSamplingOptions), nameof(NativeSamplingOptions.TopK), 8 },
        { typeof(NativeSamplingOptions), nameof(NativeSamplingOptions.RepetitionPenalty), 20 },
        { typeof(NativeVocab), nameof(NativeVocab.HeadRows), 8 },
        { typeof(NativeVocab), nameof(NativeVocab.TokenBytes), 16 },
        { typeof(NativeVocab), nameof(NativeVocab.EosId), 32 },
        { typeof(NativeTensorDesc), nameof(NativeTensorDesc.Shape), 8 },
        { typeof(NativeMergeInput), nameof(NativeMergeInput.Weight), 72 },
        { typeof(NativeMergeInput), nameof(NativeMergeInput.Density), 80 },
        { typeof(NativeMergeInput), nameof(NativeMergeInput.ModelIndex), 88 },
        { typeof(NativeMergeSpec), nameof(NativeMergeSpec.TensorName), 8 },
        { typeof(NativeMergeSpec), nameof(NativeMergeSpec.IsEmbedding), 16 },
        { typeof(NativeMergeSpec), nameof(NativeMergeSpec.Inputs), 24 },
        { typeof(NativeMergeSpec), nameof(NativeMergeSpec.Base), 32 },
        { typeof(NativeMergeSpec), nameof(NativeMergeSpec.OutDtype), 40 },
        { typeof(NativeMergeSpec), nameof(NativeMergeSpec.Lambda), 56 },
        { typeof(NativeMergeSpec), nameof(NativeMergeSpec.T), 64 },
        { typeof(NativeMergeSpec), nameof(NativeMergeSpec.Seed), 72 },
        { typeof(NativeMergePlanInfo), nameof(NativeMergePlanInfo.Output), 8 },
        { typeof(NativeMergePlanInfo), nameof(NativeMergePlanInfo.Numel), 80 },
        { typeof(NativeMergePlanInfo), nameof(NativeMergePlanInfo.Cols), 88 },
        { typeof(NativeMergePlanInfo), nameof(NativeMergePlanInfo.NeedsScan), 100 },
        { typeof(NativeTrainerOptions), nameof(NativeTrainerOptions.LoraTargets), 20 },
        { typeof(NativeTrainerOptions), nameof(NativeTrainerOptions.TotalSteps), 60 },
        { typeof(NativeTrainerOptions), nameof(NativeTrainerOptions.Seed), 64 },
        { typeof(NativeTrainerOptions), nameof(NativeTrainerOptions.AddedVocabRows), 80 },
        { typeof(NativeTrainerOptions), nameof(NativeTrainerOptions.AddedOutputRow), 88 },
        { typeof(NativeTrainerOptions), nameof(NativeTrainerOptions.PgTemperature), 96 },
        { typeof(NativeTrainerOptions), nameof(NativeTrainerOptions.PgTokenMean), 100 },
        { typeof(NativeTrainExample), nameof(NativeTrainExample.NTokens), 8 },
        { typeof(NativeTrainExample), nameof(NativeTrainExample.TargetMask), 16 },
        { typeof(NativeTrainExample), nameof(NativeTrainExample.Reward), 24 },
        { typeof(NativeTrainExample), nameof(NativeTrainExample.Group), 28 },
        { typeof(NativeTrainExample), nameof(NativeTrainExample.MentorLogprobs), 32 },
        { typeof(NativeTrainStepStats), nameof(NativeTrainStepStats.Step), 8 },
        { typeof(NativeTrainStepStats), nameof(NativeTrainStepStats.Loss), 16 },
        { typeof(NativeTrainStepStats), nameof(NativeTrainStepStats.Tokens), 32 },
        { typeof(NativeTrainStepStats), nameof(NativeTrainStepStats.TargetTokens), 40 },
        { typeof(NativeTrainStepStats), nameof(NativeTrainStepStats.DpoMargin), 48 },
    };

    [Theory]
    [MemberData(nameof(Sizes))]
    public void StructHasTheNativeSize(Type type, int size)
    {
        Assert.Equal(8, IntPtr.Size);
        Assert.Equal(size, Marshal.SizeOf(type));
        Assert.Equal(size, (int)typeof(Unsafe).GetMethod(nameof(Unsafe.SizeOf))!.MakeGenericMethod(type).Invoke(null, null)!);
    }

    [Theory]
    [MemberData(nameof(Offsets))]
    public void FieldHasTheNativeOffset(Type type, string field, int offset) =>
        Assert.Equal(offset, (int)Marshal.OffsetOf(type, field));

    [Fact]
    public void DefaultOptionsCarryTheBindingsStructSizes()
    {
        // libmoco fills struct_size with its own sizeof: equal sizes mean both sides agree on the version.
        Assert.Equal(Unsafe.SizeOf<NativeContextOptions>(), NativeMethods.moco_context_default_options().StructSize);
        Assert.Equal(Unsafe.SizeOf<NativeModelOptions>(), NativeMethods.moco_model_default_options().StructSize);
        Assert.Equal(Unsafe.SizeOf<NativeKvCacheOptions>(), NativeMethods.moco_kv_cache_default_options().StructSize);
        Assert.Equal(Unsafe.SizeOf<NativeSamplingOptions>(), NativeMethods.moco_sampling_default_options().StructSize);
        Assert.Equal(Unsafe.SizeOf<NativeMergeSpec>(), NativeMethods.moco_merge_default_spec().StructSize);
        Assert.Equal(Unsafe.SizeOf<NativeTrainerOptions>(), NativeMethods.moco_trainer_default_options().StructSize);
        Assert.Equal(1, NativeMethods.moco_model_default_options().UseMmap);
    }

    [Fact]
    public void EveryMocoApiFunctionOfTheHeaderIsBound()
    {
        var header = File.ReadAllText(Support.RepoPaths.Header);
        var declared = System.Text.RegularExpressions.Regex.Matches(header, @"MOCO_API[^;(]*?\b(moco_\w+)\s*\(")
            .Select(m => m.Groups[1].Value).ToHashSet();
        var bound = typeof(NativeMethods).GetMethods(System.Reflection.BindingFlags.Static | System.Reflection.BindingFlags.NonPublic)
            .Select(m => m.Name).Where(n => n.StartsWith("moco_", StringComparison.Ordinal)).ToHashSet();
        Assert.Equal(64, declared.Count);
        Assert.Empty(declared.Except(bound));
    }
}
