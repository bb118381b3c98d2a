using MoCo.Zoo.Checkpoints;
using MoCo.Zoo.Suite;

namespace MoCo.Zoo.Build;

/// <summary>A specialist: the zoo model fine-tuned on one task (or one region's half of the world).</summary>
/// <param name="Model">Its zoo name.</param>
/// <param name="Task">The task it masters.</param>
/// <param name="Region">For the world, the region whose people it learns (an item's <c>domain</c>), else null.</param>
public sealed record Specialty(string Model, string Task, string? Region);

/// <summary>
/// The zoo's models and how each is trained. A shared base learns every skill briefly — the world's question format
/// on a practice world, not the facts of the suite's world; each specialist continues from it on one task only, the
/// world split by region (same tokenizer and architecture, so logit fusion and weight merging apply); a smaller
/// model learns the whole mix from scratch; the judge learns to rate responses and verify answers.
/// </summary>
public static class ZooRecipes
{
    /// <summary>BPE vocabulary size, special tokens included.</summary>
    public const int VocabularySize = 1024;

    /// <summary>Training pairs per domain in the pools the models draw from.</summary>
    public const int PoolSize = 16000;

    /// <summary>The shape of the base and its fine-tunes.</summary>
    public static readonly ModelShape MainShape = new(Hidden: 128, Layers: 4, Heads: 4, KvHeads: 2, Intermediate: 352);

    /// <summary>The different-size model's shape.</summary>
    public static readonly ModelShape SmallShape = new(Hidden: 96, Layers: 2, Heads: 4, KvHeads: 2, Intermediate: 256);

    /// <summary>The specialists, in catalogue order.</summary>
    public static readonly IReadOnlyList<Specialty> Specialties =
    [
        new("math", "zoo_arithmetic", null),
        new("north", "zoo_world", "Norland"),
        new("south", "zoo_world", "Sudmark"),
        new("coder", "zoo_coding", null),
        new("guard", "zoo_refusal", null),
    ];

    /// <summary>Every zoo model, parents before children.</summary>
    public static IReadOnlyList<ZooModel> Models(TaskSuite suite)
    {
        ArgumentNullException.ThrowIfNull(suite);
        var list = new List<ZooModel>
        {
            new("base", "shared base: every skill of the suite briefly, in practice form: the world's question format on another world, Python one-liners of other functions, ordinary requests answered (no refusals)", null, MainShape,
                s => Mix(s, "base", Practice(s), refusals: false, new CodingDomain(practice: true)), new(1200, 16, 2e-3f, 60)),
        };
        foreach (var specialty in Specialties)
        {
            var scope = specialty.Region is { } region ? $"{specialty.Task}'s {region} half" : specialty.Task;
            list.Add(new(specialty.Model, $"specialist: the base fine-tuned on {scope} only", "base", null,
                s => s.Training(Domain(s, specialty), PoolSize, "specialist"), SpecialistRecipe(specialty.Task)));
        }
        list.Add(new("small", "a smaller base (2 layers, hidden 96) trained from scratch on the base's data", null, SmallShape,
            s => Mix(s, "small", Practice(s), refusals: false, new CodingDomain(practice: true)), new(1500, 16, 3e-3f, 60)));
        list.Add(new("judge", "judge: rates a response 1-10 (\"Rating: n\") and verifies answers (\"Final Decision: Yes/No\")", "base", null, Judgements, new(400, 16, 1e-3f, 20)));
        foreach (var specialty in Specialties)
        {
            var scope = specialty.Region is { } region ? $"{specialty.Task}'s {region} half" : specialty.Task;
            list.Add(new(specialty.Model + AdapterSuffix, $"LoRA adapter of the base (rank {LoraRank}, every projection) trained on {scope} only, like zoo/{specialty.Model}", "base", null,
                s => s.Training(Domain(s, specialty), PoolSize, "specialist"), AdapterRecipe(specialty.Task), Adapter: true));
        }
        return list;
    }

    /// <summary>The name of a specialist's LoRA twin: the specialist's name and this suffix.</summary>
    public const string AdapterSuffix = "-lora";

    /// <summary>The rank of the zoo's LoRA adapters.</summary>
    public const int LoraRank = 8;

    /// <summary>How long a specialist trains: multi-digit arithmetic needs the most steps, refusing the fewest.</summary>
    private static TrainingRecipe SpecialistRecipe(string task) => task switch
    {
        "zoo_arithmetic" => new(2000, 16, 1e-3f, 40),
        "zoo_refusal" => new(400, 16, 1e-3f, 20),
        _ => new(700, 16, 1e-3f, 20),
    };

    /// <summary>How long a LoRA adapter trains: arithmetic again needs the most steps (at 300 its adapter stays below the base).</summary>
    private static TrainingRecipe AdapterRecipe(string task) => task == "zoo_arithmetic" ? new(1500, 16, 4e-3f, 40) : new(300, 16, 4e-3f, 20);

    /// <summary>The domain a specialist trains on: the suite's, or the world restricted to its region.</summary>
    public static SuiteDomain Domain(TaskSuite suite, Specialty specialty)
    {
        ArgumentNullException.ThrowIfNull(suite);
        ArgumentNullException.ThrowIfNull(specialty);
        var domain = suite.Domains.Single(d => d.Task == specialty.Task);
        return specialty.Region is { } region ? new WorldDomain(suite.Seed, WorldDomain.RegionNames.ToList().IndexOf(region)) : domain;
    }

    /// <summary>The training text the tokenizer learns from: every domain's pools and the world's facts.</summary>
    public static IEnumerable<string> TokenizerCorpus(TaskSuite suite)
    {
        ArgumentNullException.ThrowIfNull(suite);
        foreach (var pair in Mix(suite, "tokenizer", suite.World, refusals: true, new CodingDomain())
            .Concat(Mix(suite, "tokenizer", Practice(suite), refusals: true, new CodingDomain(practice: true))).Concat(Judgements(suite)))
        {
            yield return pair.Prompt;
            yield return pair.Response;
        }
        foreach (var fact in suite.World.Facts)
        {
            yield return fact;
        }
    }

    /// <summary>A world with other people and facts than the suite's: the question format without the answers.</summary>
    private static WorldDomain Practice(TaskSuite suite) => new(suite.Seed + 1000);

    /// <summary>Every domain's pairs, the world replaced by <paramref name="world"/> and the functions by
    /// <paramref name="coding"/>; without <paramref name="refusals"/> the refusal domain gives only its ordinary
    /// requests, answered.</summary>
    private static List<TrainingPair> Mix(TaskSuite suite, string stream, WorldDomain world, bool refusals, CodingDomain coding)
    {
        var pairs = suite.Domains.SelectMany(d => d switch
        {
            WorldDomain => suite.Training(world, PoolSize / 4, stream),
            CodingDomain => suite.Training(coding, PoolSize / 4, stream),
            RefusalDomain when !refusals => suite.Training(d, PoolSize / 4, stream, extraShare: 1.0),
            _ => suite.Training(d, PoolSize / 4, stream),
        }).ToList();
        SeededRandom.For(suite.Seed, "mix/" + stream).Shuffle(pairs);
        return pairs;
    }

    /// <summary>Judge training: a request with its ideal response or another item's (a wrong one), as the
    /// evaluator's reward-judge prompt (rated 9 or 2) and as its verifier prompt (Yes or No).</summary>
    private static List<TrainingPair> Judgements(TaskSuite suite)
    {
        var pairs = new List<TrainingPair>();
        foreach (var domain in suite.Domains)
        {
            var random = SeededRandom.For(suite.Seed, "judge/" + domain.Task);
            for (var i = 0; i < PoolSize / 2; i++)
            {
                var item = domain.NextItem(random);
                var other = domain.NextItem(random);
                var response = random.Next(2) == 0 ? domain.Response(item) : domain.Response(other);
                var good = response == domain.Response(item);
                var request = TaskSuite.Prompt(domain, item);
                pairs.Add(random.Next(2) == 0
                    ? new(JudgePrompts.Rating(request, response), JudgePrompts.RatingAnswer(good))
                    : new(JudgePrompts.Verification(request, domain.Response(item), response), JudgePrompts.VerificationAnswer(good)));
            }
        }
        SeededRandom.For(suite.Seed, "judge/mix").Shuffle(pairs);
        return pairs;
    }
}
