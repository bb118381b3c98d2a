using System.IO.Compression;
using System.Text;

namespace MoCo.Models.Tokenization.Unicode;

/// <summary>
/// Unicode normalisation forms NFC, NFD, NFKC and NFKD (UAX #15) over embedded tables. The repository runs
/// with InvariantGlobalization, where <see cref="string.Normalize()"/> returns its input unchanged, so the
/// tokenizer cannot rely on ICU; the tables are generated from Python's unicodedata by
/// generate_normalization_data.py beside this file.
/// </summary>
internal static class UnicodeNormalizer
{
    private const int HangulSBase = 0xAC00, HangulLBase = 0x1100, HangulVBase = 0x1161, HangulTBase = 0x11A7;
    private const int HangulLCount = 19, HangulVCount = 21, HangulTCount = 28;
    private const int HangulNCount = HangulVCount * HangulTCount, HangulSCount = HangulLCount * HangulNCount;

    private static readonly Tables Data = Tables.Load();

    /// <summary>Returns <paramref name="text"/> in the given form; the same instance when nothing changes.</summary>
    public static string Normalize(string text, NormalizationForm form)
    {
        bool compatibility = form is NormalizationForm.FormKC or NormalizationForm.FormKD;
        bool compose = form is NormalizationForm.FormC or NormalizationForm.FormKC;
        if (IsUnaffected(text, compatibility, compose))
        {
            return text;
        }

        var runes = new List<int>(text.Length + 8);
        foreach (Rune rune in text.EnumerateRunes())
        {
            Decompose(rune.Value, compatibility, runes);
        }
        ReorderCombiningMarks(runes);
        if (compose)
        {
            Compose(runes);
        }

        var builder = new StringBuilder(runes.Count + 8);
        foreach (int cp in runes)
        {
            builder.Append(new Rune(cp).ToString());
        }
        string result = builder.ToString();
        return result == text ? text : result;
    }

    // Most text (ASCII, CJK, already-composed Latin) contains no code point that any form touches; one
    // table lookup per char finds that and saves the decompose/compose round trip.
    private static bool IsUnaffected(string text, bool compatibility, bool compose)
    {
        foreach (char c in text)
        {
            if (c < 0xA0)
            {
                continue;
            }
            if (char.IsSurrogate(c) || (compatibility ? Data.TouchedByCompatibility[c] : Data.TouchedByCanonical[c]))
            {
                return false;
            }
            if (!compose && c >= HangulSBase && c < HangulSBase + HangulSCount)
            {
                return false;
            }
        }
        return true;
    }

    private static void Decompose(int cp, bool compatibility, List<int> output)
    {
        int sIndex = cp - HangulSBase;
        if (sIndex is >= 0 and < HangulSCount)
        {
            output.Add(HangulLBase + sIndex / HangulNCount);
            output.Add(HangulVBase + sIndex % HangulNCount / HangulTCount);
            if (sIndex % HangulTCount != 0)
            {
                output.Add(HangulTBase + sIndex % HangulTCount);
            }
            return;
        }
        if ((compatibility && Data.Compatibility.TryGetValue(cp, out int[]? mapping)) || Data.Canonical.TryGetValue(cp, out mapping))
        {
            output.AddRange(mapping);
            return;
        }
        output.Add(cp);
    }

    // Canonical ordering: a stable sort by combining class within each run of non-starters.
    private static void ReorderCombiningMarks(List<int> runes)
    {
        for (int i = 1; i < runes.Count; i++)
        {
            int ccc = CombiningClass(runes[i]);
            if (ccc == 0)
            {
                continue;
            }
            int j = i;
            int cp = runes[i];
            while (j > 0 && CombiningClass(runes[j - 1]) > ccc)
            {
                runes[j] = runes[j - 1];
                j--;
            }
            runes[j] = cp;
        }
    }

    // The canonical composition algorithm of UAX #15: each character composes with the last starter
    // unless a character in between has the same or a higher combining class (it is "blocked").
    private static void Compose(List<int> runes)
    {
        if (runes.Count == 0)
        {
            return;
        }
        int starterIndex = CombiningClass(runes[0]) == 0 ? 0 : -1;
        int write = 1;
        // A leading non-starter has no starter to compose with: 256 blocks every candidate until one arrives.
        int lastClass = starterIndex == 0 ? 0 : 256;
        for (int read = 1; read < runes.Count; read++)
        {
            int cp = runes[read];
            int ccc = CombiningClass(cp);
            if (starterIndex >= 0 && (lastClass < ccc || lastClass == 0))
            {
                int composite = ComposePair(runes[starterIndex], cp);
                if (composite >= 0)
                {
                    runes[starterIndex] = composite;
                    continue;
                }
            }
            if (ccc == 0)
            {
                starterIndex = write;
            }
            lastClass = ccc;
            runes[write++] = cp;
        }
        runes.RemoveRange(write, runes.Count - write);
    }

    private static int ComposePair(int first, int second)
    {
        int lIndex = first - HangulLBase;
        if (lIndex is >= 0 and < HangulLCount)
        {
            int vIndex = second - HangulVBase;
            return vIndex is >= 0 and < HangulVCount ? HangulSBase + (lIndex * HangulVCount + vIndex) * HangulTCount : -1;
        }
        int sIndex = first - HangulSBase;
        if (sIndex is >= 0 and < HangulSCount && sIndex % HangulTCount == 0)
        {
            int tIndex = second - HangulTBase;
            return tIndex is > 0 and < HangulTCount ? first + tIndex : -1;
        }
        return Data.Composites.TryGetValue(((long)first << 21) | (uint)second, out int composite) ? composite : -1;
    }

    private static int CombiningClass(int cp) => Data.CombiningClasses.TryGetValue(cp, out byte ccc) ? ccc : 0;

    private sealed class Tables
    {
        public Dictionary<int, byte> CombiningClasses { get; } = [];
        public Dictionary<int, int[]> Canonical { get; } = [];
        public Dictionary<int, int[]> Compatibility { get; } = [];
        public Dictionary<long, int> Composites { get; } = [];

        // Per BMP code unit: may the canonical (resp. compatibility) forms change text containing it?
        // True for anything with a decomposition, a non-zero combining class or a role in a composite.
        public bool[] TouchedByCanonical { get; } = new bool[0x10000];
        public bool[] TouchedByCompatibility { get; } = new bool[0x10000];

        public static Tables Load()
        {
            var tables = new Tables();
            using Stream resource = typeof(Tables).Assembly.GetManifestResourceStream("MoCo.Models.Tokenization.Unicode.normalization-data.txt.gz")
                ?? throw new InvalidOperationException("The Unicode normalisation tables are missing from MoCo.Models.");
            using var reader = new StreamReader(new GZipStream(resource, CompressionMode.Decompress), Encoding.ASCII);
            while (reader.ReadLine() is { } line)
            {
                if (line.Length == 0 || line[0] == '#')
                {
                    continue;
                }
                string[] fields = line.Split(' ');
                int cp = Convert.ToInt32(fields[1], 16);
                switch (fields[0])
                {
                    case "c":
                        tables.CombiningClasses[cp] = byte.Parse(fields[2]);
                        tables.MarkTouched(cp, canonical: true);
                        break;
                    case "d":
                        tables.Canonical[cp] = ParseCodePoints(fields);
                        tables.MarkTouched(cp, canonical: true);
                        break;
                    case "k":
                        tables.Compatibility[cp] = ParseCodePoints(fields);
                        tables.MarkTouched(cp, canonical: false);
                        break;
                    case "p":
                        int second = Convert.ToInt32(fields[2], 16);
                        tables.Composites[((long)cp << 21) | (uint)second] = Convert.ToInt32(fields[3], 16);
                        tables.MarkTouched(second, canonical: true);
                        break;
                }
            }
            // Hangul jamo compose into syllables.
            for (int cp = HangulLBase; cp < HangulTBase + HangulTCount; cp++)
            {
                tables.MarkTouched(cp, canonical: true);
            }
            return tables;
        }

        private void MarkTouched(int cp, bool canonical)
        {
            if (cp < 0x10000)
            {
                TouchedByCompatibility[cp] = true;
                if (canonical)
                {
                    TouchedByCanonical[cp] = true;
                }
            }
        }

        private static int[] ParseCodePoints(string[] fields)
        {
            var result = new int[fields.Length - 2];
            for (int i = 0; i < result.Length; i++)
            {
                result[i] = Convert.ToInt32(fields[i + 2], 16);
            }
            return result;
        }
    }
}
