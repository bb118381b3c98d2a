using System.Text.Json.Nodes;
using System.Diagnostics;
using MoCo.Native;
using MoCo.Native.Models;
using MoCo.Native.Training;
using MoCo.Zoo.Suite;

namespace MoCo.Zoo.Build;

/// <summary>What one training run did.</summary>
/// <param name="Steps">Optimizer steps taken.</param>
/// <param name="Tokens">Tokens forwarded.</param>
/// <param name="Seconds">Wall time of the steps.</param>
/// <param name="FirstLoss">Loss of the first step.</param>
/// <param name="LastLoss">Mean loss of the last tenth of the steps.</param>
public sealed record TrainingReport(int Steps, long Tokens, double Seconds, float FirstLoss, float LastLoss)
{
    /// <summary>Tokens per second.</summary>
    public double TokensPerSecond => Seconds > 0 ? Tokens / Seconds : 0;
}

/// <summary>Full fine-tuning of one checkpoint on a fixed list of examples with libmoco's trainer.</summary>
public static class TrainingRun
{
    /// <summary>
    /// Trains the model in <paramref name="fromDirectory"/> on <paramref name="examples"/> (visited in a seeded
    /// shuffled order, epoch after epoch) and saves it to <paramref name="toDirectory"/>.
    /// </summary>
    /// With <paramref name="adapterBase"/> it trains a LoRA adapter of <paramref name="fromDirectory"/> instead, saved as a
    /// PEFT directory whose base_model_name_or_path is <paramref name="adapterBase"/>.
    public static TrainingReport Run(MocoContext context, string fromDirectory, string toDirectory, IReadOnlyList<TrainExample> examples,
        TrainingRecipe recipe, ulong seed, Action<string> log, string? adapterBase = null)
    {
        ArgumentNullException.ThrowIfNull(examples);
        ArgumentNullException.ThrowIfNull(log);
        if (examples.Count == 0)
        {
            throw new ArgumentException("a training run needs examples", nameof(examples));
        }
        using var model = MocoModel.Load(context, fromDirectory);
        using var trainer = MocoTrainer.Create(model, new TrainerOptions(
            Mode: adapterBase is null ? TrainMode.Full : TrainMode.Lora,
            LoraRank: ZooRecipes.LoraRank,
            LoraAlpha: 2f * ZooRecipes.LoraRank,
            LoraTargets: LoraTargets.QProj | LoraTargets.KProj | LoraTargets.VProj | LoraTargets.OProj | LoraTargets.GateProj | LoraTargets.UpProj | LoraTargets.DownProj,
            LearningRate: recipe.LearningRate,
            WeightDecay: 0.01f,
            Schedule: LrSchedule.Cosine,
            WarmupSteps: recipe.WarmupSteps,
            TotalSteps: recipe.Steps,
            Seed: seed));
        var random = SeededRandom.For(seed, "order");
        var order = Enumerable.Range(0, examples.Count).ToList();
        random.Shuffle(order);
        var next = 0;
        var batch = new TrainExample[recipe.BatchSize];
        var clock = Stopwatch.StartNew();
        long tokens = 0;
        var firstLoss = float.NaN;
        var tail = new List<float>();
        for (var step = 0; step < recipe.Steps; step++)
        {
            for (var i = 0; i < batch.Length; i++)
            {
                if (next == order.Count)
                {
                    random.Shuffle(order);
                    next = 0;
                }
                batch[i] = examples[order[next++]];
            }
            trainer.AddBatch(LossKind.Sft, batch);
            var stats = trainer.Step();
            tokens += stats.Tokens;
            if (step == 0)
            {
                firstLoss = stats.Loss;
            }
            if (step >= recipe.Steps - Math.Max(1, recipe.Steps / 10))
            {
                tail.Add(stats.Loss);
            }
            if ((step + 1) % 50 == 0 || step + 1 == recipe.Steps)
            {
                log($"    step {step + 1}/{recipe.Steps}  loss {stats.Loss:F3}  lr {stats.LearningRate:G3}  {tokens / clock.Elapsed.TotalSeconds:F0} tok/s");
            }
        }
        if (adapterBase is null)
        {
            trainer.SaveModel(fromDirectory, toDirectory);
        }
        else
        {
            trainer.SaveAdapter(toDirectory);
            var configPath = Path.Combine(toDirectory, "adapter_config.json");
            var config = JsonNode.Parse(File.ReadAllText(configPath))!.AsObject();
            config["base_model_name_or_path"] = adapterBase;
            File.WriteAllText(configPath, config.ToJsonString(new() { WriteIndented = true }).ReplaceLineEndings("\n") + "\n");
        }
        return new TrainingReport(recipe.Steps, tokens, clock.Elapsed.TotalSeconds, firstLoss, tail.Average());
    }
}
