namespace MoCo.Models.Tokenization;

/// <summary>
/// A tokenizer file is malformed or uses a feature this tokenizer does not implement. The message names the
/// file, the JSON path of the offending value and, for unsupported features, what is supported instead.
/// </summary>
public sealed class TokenizerFormatException : Exception
{
    /// <summary>Creates the exception for <paramref name="jsonPath"/> in <paramref name="file"/>.</summary>
    public TokenizerFormatException(string file, string jsonPath, string problem)
        : base($"{file}: {(jsonPath.Length == 0 ? "(document)" : jsonPath)}: {problem}")
    {
        File = file;
        JsonPath = jsonPath;
        Problem = problem;
    }

    /// <summary>Creates the exception for a document that is not valid JSON at all.</summary>
    public TokenizerFormatException(string file, string problem, Exception innerException)
        : base($"{file}: {problem}", innerException)
    {
        File = file;
        JsonPath = "";
        Problem = problem;
    }

    /// <summary>The file (or, for in-memory JSON, the name it was given) that holds the problem.</summary>
    public string File { get; }

    /// <summary>The JSON path of the offending value, e.g. <c>model.type</c> or <c>decoder.decoders[2]</c>; empty for the whole document.</summary>
    public string JsonPath { get; }

    /// <summary>What is wrong, without the file and path prefix.</summary>
    public string Problem { get; }

    /// <summary>True when the file is well formed but names a component this tokenizer does not implement (e.g. a
    /// Unigram model), so a server can answer "not built in" rather than "malformed file".</summary>
    public bool IsUnsupportedFeature { get; init; }
}
