using System.Runtime.CompilerServices;
using MoCo.Native.Interop;
using MoCo.Native.Training;
using MoCo.Native.Tests.Support;

namespace MoCo.Native.Tests.Training;

/// <summary>The trainer's defaults, argument errors and lifetime rules.</summary>
public class TrainerApiTests
{
    [Fact]
    public void TheRecordDefaultsAreLibmocosDefaults()
    {
        var native = NativeMethods.moco_trainer_default_options();
        var d = TrainerOptions.Default;
        Assert.Equal(Unsafe.SizeOf<NativeTrainerOptions>(), native.StructSize);
        Assert.Equal((int)d.Mode, native.Mode);
        Assert.Equal(d.LoraRank, native.LoraRank);
        Assert.Equal(d.LoraAlpha, native.LoraAlpha);
        Assert.Equal(d.UseRsLora ? 1 : 0, native.UseRslora);
        Assert.Equal((uint)d.LoraTargets, native.LoraTargets);
        Assert.Equal(d.LoraDropout, native.LoraDropout);
        Assert.Equal(d.LearningRate, native.LearningRate);
        Assert.Equal(d.AdamBeta1, native.AdamBeta1);
        Assert.Equal(d.AdamBeta2, native.AdamBeta2);
        Assert.Equal(d.AdamEpsilon, native.AdamEpsilon);
        Assert.Equal(d.WeightDecay, native.WeightDecay);
        Assert.Equal(d.MaxGradNorm, native.MaxGradNorm);
        Assert.Equal((int)d.Schedule, native.Schedule);
        Assert.Equal(d.WarmupSteps, native.WarmupSteps);
        Assert.Equal(d.TotalSteps, native.TotalSteps);
        Assert.Equal(d.Seed, native.Seed);
        Assert.Equal(d.DpoBeta, native.DpoBeta);
        Assert.Equal(d.KlBeta, native.KlBeta);
        Assert.Equal(0, native.AddedVocabRows);
        Assert.Equal(d.PgTemperature, native.PgTemperature);
        Assert.Equal(d.PgTokenMean ? 1 : 0, native.PgTokenMean);
    }

    [Fact]
    public void ArgumentErrorsNameTheParameter()
    {
        using var context = Engine.Cpu();
        using var model = Engine.Golden(context, TrainingData.Model);
        Assert.Equal("model", Assert.Throws<ArgumentNullException>(() => MocoTrainer.Create(null!)).ParamName);
        Assert.Equal("options", Assert.Throws<ArgumentException>(() => MocoTrainer.Create(model, new TrainerOptions(AddedOutputRow: new float[3]))).ParamName);

        using var trainer = MocoTrainer.Create(model);
        Assert.Equal("examples", Assert.Throws<ArgumentException>(() => trainer.AddBatch(LossKind.Sft, [])).ParamName);
        var shortMask = Assert.Throws<ArgumentException>(() => trainer.AddBatch(LossKind.Sft, [new TrainExample(new[] { 1, 2, 3 }, new byte[] { 0, 1 })]));
        Assert.Equal("examples", shortMask.ParamName);
        Assert.Contains("TargetMask", shortMask.Message, StringComparison.Ordinal);
        Assert.Equal("examples", Assert.Throws<ArgumentException>(() => trainer.AddBatch(LossKind.Defer, [new TrainExample(new[] { 1, 2 }, MentorLogprobs: new float[1])])).ParamName);
        Assert.Equal("directory", Assert.Throws<ArgumentNullException>(() => trainer.SaveAdapter(null!)).ParamName);
        Assert.Equal("baseDirectory", Assert.Throws<ArgumentException>(() => trainer.SaveModel("a\0b", "out")).ParamName);
    }

    [Fact]
    public void LibmocoRangeErrorsNameTheField()
    {
        using var context = Engine.Cpu();
        using var model = Engine.Golden(context, TrainingData.Model);
        var rank = Assert.Throws<MocoException>(() => MocoTrainer.Create(model, new TrainerOptions(LoraRank: 0)));
        Assert.Equal(MocoStatus.InvalidArgument, rank.Status);
        Assert.Contains("lora_rank", rank.Message, StringComparison.Ordinal);

        using var trainer = MocoTrainer.Create(model);
        var tooShort = Assert.Throws<MocoException>(() => trainer.AddBatch(LossKind.Sft, [new TrainExample(new[] { 1, 2 }), new TrainExample(new[] { 1 })]));
        Assert.Equal(MocoStatus.InvalidArgument, tooShort.Status);
        Assert.Contains("n_tokens", tooShort.Message, StringComparison.Ordinal);
        Assert.Equal(MocoStatus.InvalidArgument, Assert.Throws<MocoException>(() => trainer.Step()).Status);
        using var full = MocoTrainer.Create(model, new TrainerOptions(Mode: TrainMode.Full));
        Assert.Equal(MocoStatus.InvalidArgument, Assert.Throws<MocoException>(() => full.SaveAdapter("x")).Status);
    }

    [Fact]
    public void TheModelOutlivesItsTrainerWhateverTheDisposeOrder()
    {
        using var temp = new TempDirectory();
        using var context = Engine.Cpu();
        var model = Engine.Golden(context, TrainingData.Model);
        using var trainer = MocoTrainer.Create(model, TrainingData.Overfit(TrainMode.Lora));
        model.Dispose();
        Assert.Throws<ObjectDisposedException>(() => MocoTrainer.Create(model));

        // The trainer still holds the native model: it keeps training and saving.
        Assert.Equal(2, TrainingData.Train(trainer, 2).Length);
        trainer.SaveAdapter(temp.Path);
        Assert.True(File.Exists(Path.Combine(temp.Path, "adapter_model.safetensors")));
        trainer.Dispose();
        trainer.Dispose();
        Assert.Throws<ObjectDisposedException>(() => trainer.Step());
    }
}
