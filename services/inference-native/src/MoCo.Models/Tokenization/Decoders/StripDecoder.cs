using System.Text;

namespace MoCo.Models.Tokenization.Decoders;

/// <summary>HF "Strip": removes up to <c>start</c> leading and <c>stop</c> trailing occurrences of a character from each token.</summary>
internal sealed class StripDecoder(int content, int start, int stop) : Decoder
{
    public override void Decode(List<string> tokens)
    {
        for (int i = 0; i < tokens.Count; i++)
        {
            Rune[] runes = tokens[i].EnumerateRunes().ToArray();
            int first = 0;
            while (first < start && first < runes.Length && runes[first].Value == content)
            {
                first++;
            }
            int end = runes.Length;
            for (int removed = 0; removed < stop && end > first && runes[end - 1].Value == content; removed++)
            {
                end--;
            }
            if (first > 0 || end < runes.Length)
            {
                tokens[i] = string.Concat(runes[first..end].Select(r => r.ToString()));
            }
        }
    }
}
