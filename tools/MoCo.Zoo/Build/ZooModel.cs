using MoCo.Zoo.Checkpoints;
using MoCo.Zoo.Suite;

namespace MoCo.Zoo.Build;

/// <summary>One model of the zoo: where it starts (a fresh seeded init of <see cref="Shape"/>, or another zoo model),
/// what it learns and how long.</summary>
/// <param name="Name">Folder under models/ and zoo/&lt;name&gt; in configs.</param>
/// <param name="Purpose">One line for the model card.</param>
/// <param name="From">The zoo model it is fine-tuned from, or null for a fresh initialisation.</param>
/// <param name="Shape">The architecture of a fresh initialisation (null when <paramref name="From"/> is set).</param>
/// <param name="Data">Its training pairs, drawn from the suite.</param>
/// <param name="Recipe">Its optimisation.</param>
/// <param name="Adapter">A LoRA adapter of <paramref name="From"/> (a PEFT directory) instead of a full fine-tune.</param>
public sealed record ZooModel(string Name, string Purpose, string? From, ModelShape? Shape, Func<TaskSuite, IReadOnlyList<TrainingPair>> Data, TrainingRecipe Recipe,
    bool Adapter = false)
{
    /// <summary>Its catalogue kind.</summary>
    public string Kind => Adapter ? "lora" : "causal-lm";
}
