namespace MoCo.Zoo.Build;

/// <summary>How one zoo model is trained: full fine-tuning with AdamW and a cosine schedule after linear warmup.</summary>
/// <param name="Steps">Optimizer steps.</param>
/// <param name="BatchSize">Sequences per step.</param>
/// <param name="LearningRate">Peak learning rate.</param>
/// <param name="WarmupSteps">Linear warmup steps.</param>
public sealed record TrainingRecipe(int Steps, int BatchSize, float LearningRate, int WarmupSteps)
{
    /// <summary>The same recipe with its steps scaled by <paramref name="factor"/> (at least one step).</summary>
    public TrainingRecipe Scaled(double factor) => this with
    {
        Steps = Math.Max(1, (int)Math.Round(Steps * factor)),
        WarmupSteps = Math.Max(0, (int)Math.Round(WarmupSteps * factor)),
    };
}
