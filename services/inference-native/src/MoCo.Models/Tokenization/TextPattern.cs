using System.Text.RegularExpressions;
using MoCo.Models.Tokenization.Json;

namespace MoCo.Models.Tokenization;

/// <summary>
/// The pattern of a Split pre-tokenizer or a Replace normalizer/decoder: <c>{"String": "..."}</c> matches the
/// literal text, <c>{"Regex": "..."}</c> a regular expression. HF compiles regexes with Oniguruma; .NET's
/// engine accepts the same syntax for every pattern shipped by the supported model families, and a pattern
/// it cannot parse is reported with the .NET parser's message. Split runs patterns by code point, as
/// Oniguruma does (<see cref="PreTokenizers.CodePointText"/>).
/// </summary>
internal sealed partial class TextPattern
{
    private TextPattern(Regex regex) => Regex = regex;

    public Regex Regex { get; }

    public static TextPattern FromJson(JsonNode node)
    {
        if (node.Optional("String") is { } literal)
        {
            string text = literal.GetString();
            if (text.Length == 0)
            {
                throw literal.Error("an empty string pattern matches nowhere useful and is not supported");
            }
            return new TextPattern(new Regex(Regex.Escape(text), RegexOptions.CultureInvariant));
        }
        if (node.Optional("Regex") is { } expression)
        {
            return FromRegex(expression.GetString(), expression);
        }
        throw node.Error("must be {\"String\": ...} or {\"Regex\": ...}");
    }

    private static TextPattern FromRegex(string pattern, JsonNode node)
    {
        if (KnownRegex(pattern) is { } known)
        {
            return new TextPattern(known);
        }
        try
        {
            return new TextPattern(new Regex(pattern, RegexOptions.Compiled | RegexOptions.CultureInvariant));
        }
        catch (ArgumentException e)
        {
            throw node.Error($"regex is not supported by the .NET regex engine: {e.Message}");
        }
    }

    /// <summary>The GPT-2 split regex that the ByteLevel pre-tokenizer applies when <c>use_regex</c> is true.</summary>
    public static Regex Gpt2Regex => Gpt2();

    // The split regexes of the common model families, source-generated: identical semantics to compiling the
    // same pattern at run time, without the start-up cost, and the fastest matcher .NET has.
    private static Regex? KnownRegex(string pattern) => pattern switch
    {
        Gpt2Pattern => Gpt2(),
        Cl100kPattern => Cl100k(),
        QwenPattern => Qwen(),
        O200kPattern => O200k(),
        _ => null,
    };

    private const string Gpt2Pattern = @"'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+";

    // cl100k_base as published in HF tokenizer.json files; Llama 3 uses it unchanged.
    private const string Cl100kPattern = @"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+";

    // Qwen2, Qwen2.5 and Qwen3: cl100k with single digits.
    private const string QwenPattern = @"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+";

    private const string O200kPattern = @"[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]*[\p{Ll}\p{Lm}\p{Lo}\p{M}]+(?i:'s|'t|'re|'ve|'m|'ll|'d)?|[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]+[\p{Ll}\p{Lm}\p{Lo}\p{M}]*(?i:'s|'t|'re|'ve|'m|'ll|'d)?|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n/]*|\s*[\r\n]+|\s+(?!\S)|\s+";

    [GeneratedRegex(Gpt2Pattern, RegexOptions.CultureInvariant)]
    private static partial Regex Gpt2();

    [GeneratedRegex(Cl100kPattern, RegexOptions.CultureInvariant)]
    private static partial Regex Cl100k();

    [GeneratedRegex(QwenPattern, RegexOptions.CultureInvariant)]
    private static partial Regex Qwen();

    [GeneratedRegex(O200kPattern, RegexOptions.CultureInvariant)]
    private static partial Regex O200k();
}
