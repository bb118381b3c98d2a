using MoCo.Zoo.Suite;

namespace MoCo.Zoo.Build;

/// <summary>What `moco zoo build` writes and how.</summary>
/// <param name="DataDirectory">Where the suite's dataset files go (the repository's data/).</param>
/// <param name="ModelsDirectory">Where the zoo goes (the repository's models/).</param>
/// <param name="Seed">The seed of the suite, the tokenizer's corpus and every initialisation.</param>
/// <param name="Threads">libmoco threads (0 = all cores).</param>
/// <param name="Scale">Multiplies every model's training steps: 1 is the committed zoo; less is a quick trial.</param>
/// <param name="ScoreItems">Test items per domain scored for the model cards (at most the split size).</param>
/// <param name="Only">Retrain only these models (their parents must be in place); the others keep their files and
/// their recorded scores. Empty = every model.</param>
/// <param name="Rescore">Train nothing: score the selected models (<paramref name="Only"/>, or every model) from their
/// committed files again, keeping their training records.</param>
public sealed record ZooBuildOptions(string DataDirectory, string ModelsDirectory, ulong Seed = TaskSuite.DefaultSeed, int Threads = 0,
    double Scale = 1.0, int ScoreItems = 200, IReadOnlyList<string>? Only = null, bool Rescore = false);
