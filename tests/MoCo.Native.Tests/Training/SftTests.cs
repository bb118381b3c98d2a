using MoCo.Native.Models;
using MoCo.Native.Training;
using MoCo.Native.Tests.Support;

namespace MoCo.Native.Tests.Training;

/// <summary>SFT over-fits a few sequences on a golden tiny model; greedy decoding of the result reproduces them.</summary>
public class SftTests
{
    [Theory]
    [InlineData(TrainMode.Lora)]
    [InlineData(TrainMode.Full)]
    public void SftLowersTheLossAndGreedyDecodeReproducesTheTargets(TrainMode mode)
    {
        using var temp = new TempDirectory();
        using var context = Engine.Cpu();
        using var model = Engine.Golden(context, TrainingData.Model);
        using (var trainer = MocoTrainer.Create(model, TrainingData.Overfit(mode)))
        {
            var losses = TrainingData.Train(trainer, 60);
            for (var i = 1; i < 15; i++)
            {
                Assert.True(losses[i] < losses[i - 1], $"step {i}: loss {losses[i]} did not fall below {losses[i - 1]}");
            }

            // A LoRA cannot touch the head or the final norm of a hidden-32 model, so its loss plateaus (libmoco's note).
            Assert.True(losses[^1] < (mode == TrainMode.Full ? 0.05f : 0.5f * losses[0]), $"final loss {losses[^1]}, first {losses[0]}");
            if (mode == TrainMode.Full)
            {
                trainer.SaveModel(model.Directory, temp.Sub("out"));
            }
            else
            {
                trainer.SaveAdapter(temp.Sub("out"));
            }
        }

        using var full = mode == TrainMode.Full ? MocoModel.Load(context, temp.Sub("out")) : null;
        using var adapter = mode == TrainMode.Lora ? model.LoadAdapter(temp.Sub("out")) : null;
        var decoder = full ?? model;
        foreach (var s in TrainingData.Sequences)
        {
            var prompt = s[..TrainingData.PromptLength];
            Assert.Equal(s[TrainingData.PromptLength..], TrainingData.Greedy(decoder, prompt, s.Length - TrainingData.PromptLength, adapter));
        }

        // The trainer never changed the model it was created on.
        Assert.NotEqual(TrainingData.Sequences[0][TrainingData.PromptLength..], TrainingData.Greedy(model, TrainingData.Sequences[0][..TrainingData.PromptLength], 6));
    }

    [Fact]
    public void TheSameSeedGivesIdenticalLossesAndAnotherSeedDoesNot()
    {
        using var context = Engine.Cpu();
        using var model = Engine.Golden(context, TrainingData.Model);

        float[] Run(ulong seed)
        {
            // Dropout draws from the seed, so the seed shows in the losses, not only in the LoRA initialisation.
            using var trainer = MocoTrainer.Create(model, TrainingData.Overfit(TrainMode.Lora, seed, dropout: 0.1f));
            return TrainingData.Train(trainer, 6);
        }

        var first = Run(7);
        Engine.BitEqual(first, Run(7), "losses of two runs with seed 7");
        Assert.NotEqual(first, Run(8));
    }

    [Fact]
    public void ATrainerLoadingAStateContinuesBitForBit()
    {
        using var temp = new TempDirectory();
        using var context = Engine.Cpu();
        using var model = Engine.Golden(context, TrainingData.Model);
        var options = TrainingData.Overfit(TrainMode.Lora, dropout: 0.1f);
        var state = temp.Sub("state.safetensors");
        float[] rest;
        using (var trainer = MocoTrainer.Create(model, options))
        {
            TrainingData.Train(trainer, 3);
            trainer.SaveState(state);
            rest = TrainingData.Train(trainer, 3);
        }

        using var resumed = MocoTrainer.Create(model, options);
        resumed.LoadState(state);
        Engine.BitEqual(rest, TrainingData.Train(resumed, 3), "losses of steps 4-6, uninterrupted and resumed");

        using var other = MocoTrainer.Create(model, TrainingData.Overfit(TrainMode.Full));
        var error = Assert.Throws<MocoException>(() => other.LoadState(state));
        Assert.Equal(MocoStatus.InvalidArgument, error.Status);
        Assert.Contains("has no tensor master.model.embed_tokens.weight", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void DpoRaisesTheChosenOverRejectedMargin()
    {
        using var temp = new TempDirectory();
        using var context = Engine.Cpu();
        using var model = Engine.Golden(context, TrainingData.Model);
        int[] chosen = [3, 4, 10, 11, 12], rejected = [3, 4, 20, 21, 22];
        byte[] mask = [0, 0, 1, 1, 1];
        TrainExample[] pair = [new(chosen, mask), new(rejected, mask)];
        using (var trainer = MocoTrainer.Create(model, new TrainerOptions(LearningRate: 5e-3f, Schedule: LrSchedule.Constant)))
        {
            trainer.AddBatch(LossKind.Dpo, pair);
            var first = trainer.Step();
            Assert.Equal(0f, first.DpoMargin); // B starts at 0: the policy is the reference
            Assert.Equal(Math.Log(2), first.Loss, 1e-6);
            var previous = first.DpoMargin;
            for (var step = 1; step < 8; step++)
            {
                trainer.AddBatch(LossKind.Dpo, pair);
                var stats = trainer.Step();
                Assert.True(stats.DpoMargin > previous, $"step {step}: margin {stats.DpoMargin} not above {previous}");
                previous = stats.DpoMargin;
            }

            trainer.SaveAdapter(temp.Path);
        }

        using var adapter = model.LoadAdapter(temp.Path);
        var before = TrainingData.LogProb(model, chosen, 2) - TrainingData.LogProb(model, rejected, 2);
        var after = TrainingData.LogProb(model, chosen, 2, adapter) - TrainingData.LogProb(model, rejected, 2, adapter);
        Assert.True(after > before, $"margin {after} after training, {before} before");
    }
}
