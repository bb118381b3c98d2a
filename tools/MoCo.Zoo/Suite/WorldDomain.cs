using System.Text.Json.Nodes;

namespace MoCo.Zoo.Suite;

/// <summary>
/// Questions over a generated world: people of two regions, each with a profession and a home town, asked as
/// four-option multiple choice. The facts exist only in this generator, so a model knows them only if trained
/// on them; the item's <c>domain</c> is the region, so results break down by the half of the world asked about.
/// </summary>
public sealed class WorldDomain : SuiteDomain
{
    private const int PeoplePerRegion = 24;

    private static readonly string[] Regions = ["Norland", "Sudmark"];

    private static readonly string[] Professions =
        ["baker", "smith", "weaver", "miller", "potter", "fisher", "healer", "scribe", "mason", "farmer", "brewer", "tailor"];

    private static readonly string[][] Towns =
    [
        ["Frostholm", "Kaldby", "Isvik", "Snowmere", "Birchgate", "Wolfden"],
        ["Sunvale", "Olivara", "Redport", "Dunmore", "Saltcliff", "Figmarsh"],
    ];

    private static readonly string[] FirstSyllables = ["Ar", "Bel", "Cor", "Dan", "El", "Fen", "Gar", "Hal", "Is", "Jor", "Kel", "Lor", "Mar", "Nor", "Os", "Per", "Quin", "Ros", "Sel", "Tor"];
    private static readonly string[] SecondSyllables = ["a", "en", "in", "o", "is", "ric", "wen", "da", "mir", "tha"];
    private static readonly string[] Surnames = ["Ashby", "Brook", "Crane", "Dale", "Frost", "Hale", "Marsh", "Reed", "Stone", "Vale", "Wick", "Yarrow"];

    private readonly List<Person> _people = [];
    private readonly List<Person> _asked;

    /// <summary>Builds the world of <paramref name="seed"/>; items ask about <paramref name="region"/>'s people only
    /// (an index into <see cref="RegionNames"/>), or everyone when it is null.</summary>
    public WorldDomain(ulong seed, int? region = null)
    {
        var random = SeededRandom.For(seed, "world");
        var names = new HashSet<string>(StringComparer.Ordinal);
        for (var r = 0; r < Regions.Length; r++)
        {
            for (var i = 0; i < PeoplePerRegion; i++)
            {
                string name;
                do
                {
                    name = random.Pick(FirstSyllables) + random.Pick(SecondSyllables) + " " + random.Pick(Surnames);
                }
                while (!names.Add(name));
                _people.Add(new Person(name, r, random.Pick(Professions), random.Pick(Towns[r])));
            }
        }
        _asked = [.. _people.Where(p => region is null || p.Region == region)];
    }

    /// <summary>The regions, in index order (an item's <c>domain</c>).</summary>
    public static IReadOnlyList<string> RegionNames => Regions;

    /// <inheritdoc/>
    public override string Task => "zoo_world";

    /// <inheritdoc/>
    public override string TaskType => "multiple_choice";

    /// <summary>Every fact of the world, one sentence each.</summary>
    public IEnumerable<string> Facts => _people.Select(Statement);

    /// <inheritdoc/>
    public override JsonObject NextItem(SeededRandom random)
    {
        var person = random.Pick(_asked);
        var askTown = random.Next(2) == 0;
        var region = Regions[person.Region];
        var question = askTown
            ? $"In {region}, which town is {person.Name} from?"
            : $"In {region}, what is the profession of {person.Name}?";
        var pool = askTown ? Towns[person.Region] : Professions;
        var gold = askTown ? person.Town : person.Profession;
        var options = new List<string> { gold };
        while (options.Count < 4)
        {
            var candidate = random.Pick(pool);
            if (!options.Contains(candidate))
            {
                options.Add(candidate);
            }
        }
        random.Shuffle(options);
        var choices = new JsonObject();
        for (var i = 0; i < options.Count; i++)
        {
            choices[((char)('A' + i)).ToString()] = options[i];
        }
        return new JsonObject
        {
            ["question"] = question,
            ["choices"] = choices,
            ["answer"] = ((char)('A' + options.IndexOf(gold))).ToString(),
            ["domain"] = region,
        };
    }

    /// <inheritdoc/>
    public override string Key(JsonObject item) =>
        (string)item["question"]! + "|" + string.Join("|", item["choices"]!.AsObject().Select(c => (string)c.Value!));

    /// <summary>The correct option's text: the multiple-choice parser finds the option whose text the answer holds
    /// (evaluation.md §2.1 rule 2), and naming the fact is what a small model can learn, where pointing at its
    /// shuffled letter is a second step it does not.</summary>
    public override string Response(JsonObject item) => (string)item["choices"]![(string)item["answer"]!]!;

    /// <inheritdoc/>
    public override (string Prompt, string Response)? NextExtraPair(SeededRandom random)
    {
        var person = random.Pick(_asked);
        return ($"Tell me about {person.Name} of {Regions[person.Region]}.", Statement(person));
    }

    private static string Statement(Person p) => $"{p.Name} of {Regions[p.Region]} is a {p.Profession} from {p.Town}.";

    private sealed record Person(string Name, int Region, string Profession, string Town);
}
