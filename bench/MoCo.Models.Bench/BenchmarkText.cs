using System.Text;

namespace MoCo.Models.Bench;

/// <summary>
/// About 1 MB of deterministic, varied text: English-like prose over a 30,000-word vocabulary drawn with a
/// Zipf distribution (so, as in real text, common words repeat and rare ones keep missing the caches), code,
/// numbers, CJK, emoji and whitespace runs. Generated rather than read from disk so the benchmark needs no data.
/// </summary>
internal static class BenchmarkText
{
    public static string Create(int length = 1_000_000)
    {
        var random = new Random(20240601);
        string[] words = Vocabulary(random, 30_000);
        double[] cumulative = ZipfCumulative(words.Length);
        var text = new StringBuilder(length + 1000);
        while (text.Length < length)
        {
            switch (random.Next(10))
            {
                case < 6:
                    Sentence(random, words, cumulative, text);
                    break;
                case 6:
                    text.Append("    public static int ").Append(Word(random, words, cumulative)).Append("_count(int[] values) => values.Where(v => v > ")
                        .Append(random.Next(1000)).Append(").Sum();\n");
                    break;
                case 7:
                    text.Append(random.Next(1_000_000)).Append('.').Append(random.Next(100)).Append(" ms, ").Append(random.NextInt64(10_000_000_000)).Append(" bytes\n");
                    break;
                case 8:
                    for (int i = 0; i < 12; i++)
                    {
                        text.Append((char)random.Next(0x4E00, 0x9FA5));
                    }
                    text.Append("。\n");
                    break;
                default:
                    text.Append("😀🤗👍🏽 ").Append(new string(' ', random.Next(1, 9))).Append("\t\n");
                    break;
            }
        }
        return text.ToString(0, length);
    }

    private static void Sentence(Random random, string[] words, double[] cumulative, StringBuilder text)
    {
        int count = random.Next(5, 20);
        for (int i = 0; i < count; i++)
        {
            string word = Word(random, words, cumulative);
            text.Append(i == 0 ? char.ToUpperInvariant(word[0]) + word[1..] : word);
            text.Append(i == count - 1 ? ". " : random.Next(8) == 0 ? ", " : " ");
        }
        if (random.Next(4) == 0)
        {
            text.Append('\n');
        }
    }

    private static string Word(Random random, string[] words, double[] cumulative)
    {
        int index = Array.BinarySearch(cumulative, random.NextDouble());
        return words[index < 0 ? Math.Min(~index, words.Length - 1) : index];
    }

    private static string[] Vocabulary(Random random, int size)
    {
        string[] syllables = ["ta", "ne", "ri", "so", "ka", "mo", "lu", "pe", "di", "ga", "the", "and", "ing", "ion", "er", "st", "qu", "ch", "sh", "ph"];
        var words = new HashSet<string>(StringComparer.Ordinal);
        while (words.Count < size)
        {
            var word = new StringBuilder();
            int parts = random.Next(1, 5);
            for (int p = 0; p < parts; p++)
            {
                word.Append(syllables[random.Next(syllables.Length)]);
            }
            words.Add(word.ToString());
        }
        return words.ToArray();
    }

    private static double[] ZipfCumulative(int size)
    {
        var weights = new double[size];
        double total = 0;
        for (int i = 0; i < size; i++)
        {
            total += weights[i] = 1.0 / (i + 1);
        }
        double running = 0;
        for (int i = 0; i < size; i++)
        {
            running += weights[i] / total;
            weights[i] = running;
        }
        return weights;
    }
}
