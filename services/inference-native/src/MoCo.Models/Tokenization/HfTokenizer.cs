using System.Buffers;
using System.Runtime.InteropServices;
using MoCo.Models.Tokenization.AddedTokens;
using MoCo.Models.Tokenization.Decoders;
using MoCo.Models.Tokenization.Json;
using MoCo.Models.Tokenization.Models;
using MoCo.Models.Tokenization.Normalizers;
using MoCo.Models.Tokenization.PostProcessors;
using MoCo.Models.Tokenization.PreTokenizers;

namespace MoCo.Models.Tokenization;

/// <summary>
/// A Hugging Face tokenizer loaded from a model directory's tokenizer.json (with tokenizer_config.json and
/// special_tokens_map.json when present), giving the ids and text HF's <c>tokenizers</c> library gives for
/// BPE models: byte-level ones with a Split regex (GPT-2, Llama 3, Qwen2/2.5/3) and SentencePiece-style
/// ones with byte fallback and "▁" (Llama 2, Mistral). Anything else is refused at load with a
/// <see cref="TokenizerFormatException"/> naming the file, the JSON path and what is supported.
/// Instances are immutable and safe to share between threads.
/// </summary>
/// <remarks>
/// Encoding follows HF's pipeline: added tokens are cut out of the raw text first (never split), each
/// remaining stretch is normalised, normalised added tokens are cut out, the rest is pre-tokenized into
/// words and each word goes through BPE; the post-processor then adds BOS/EOS when asked.
/// For tokenizer classes whose transformers implementation rebuilds the post-processor from
/// <c>add_bos_token</c>/<c>add_eos_token</c> (LlamaTokenizerFast, CodeLlamaTokenizerFast, GemmaTokenizerFast,
/// CohereTokenizerFast), those flags decide the BOS/EOS template, as in transformers 4.x.
/// The "truncation" and "padding" sections are ignored: callers decide lengths.
/// </remarks>
public sealed class HfTokenizer
{
    private const string TokenizerFile = "tokenizer.json";
    private const string ConfigFile = "tokenizer_config.json";
    private const string SpecialTokensMapFile = "special_tokens_map.json";

    private static readonly HashSet<string> ClassesWithBosEosTemplate = new(StringComparer.Ordinal)
    {
        "LlamaTokenizer", "CodeLlamaTokenizer", "GemmaTokenizer", "CohereTokenizer",
    };

    [ThreadStatic]
    private static Scratch? _scratch;

    private readonly Normalizer? _normalizer;
    private readonly PreTokenizer? _preTokenizer;
    private readonly BpeModel _model;
    private readonly PostProcessor? _postProcessor;
    private readonly Decoder? _decoder;
    private readonly AddedTokenMatcher _rawAddedTokens;
    private readonly AddedTokenMatcher _normalizedAddedTokens;
    private readonly Dictionary<string, int> _addedTokenIds = new(StringComparer.Ordinal);
    private readonly string?[] _tokens;
    private readonly bool[] _special;
    private readonly bool _cleanUpTokenizationSpaces;
    private readonly int _postProcessorAddedCount;

    private HfTokenizer(JsonNode root, TokenizerConfig config)
    {
        JsonNode modelNode = root.Required("model");
        string modelType = modelNode.OptionalString("type") ?? (modelNode.Optional("merges") is not null ? "BPE" : "(none)");
        if (modelType != "BPE")
        {
            throw modelNode.Unsupported("model.type", modelType, "BPE");
        }
        _model = BpeModel.FromJson(modelNode);
        _normalizer = root.Optional("normalizer") is { } n ? NormalizerFactory.Create(n) : null;
        _preTokenizer = root.Optional("pre_tokenizer") is { } p ? PreTokenizerFactory.Create(p) : null;
        _decoder = root.Optional("decoder") is { } d ? DecoderFactory.Create(d) : null;

        List<AddedToken> added = root.Optional("added_tokens") is { } list ? list.Items().Select(ReadAddedToken).ToList() : [];
        int maxId = Math.Max(_model.Vocabulary.Count == 0 ? -1 : _model.Vocabulary.Values.Max(), added.Count == 0 ? -1 : added.Max(t => t.Id));
        _tokens = new string?[maxId + 1];
        _special = new bool[maxId + 1];
        foreach ((string token, int id) in _model.Vocabulary)
        {
            _tokens[id] = token;
        }
        foreach (AddedToken token in added)
        {
            _tokens[token.Id] = token.Content;
            _special[token.Id] = token.Special;
            _addedTokenIds[token.Content] = token.Id;
        }
        VocabularySize = _tokens.Count(t => t is not null);
        _rawAddedTokens = new AddedTokenMatcher(added.Where(t => !t.Normalized).Select(t => (t.Content, t)));
        _normalizedAddedTokens = new AddedTokenMatcher(added.Where(t => t.Normalized).Select(t => (_normalizer?.Normalize(t.Content) ?? t.Content, t)));

        SpecialTokens = new SpecialTokens(
            Resolve(config, "bos_token"),
            Resolve(config, "eos_token"),
            Resolve(config, "pad_token"),
            Resolve(config, "unk_token") ?? (_model.UnknownTokenId >= 0 ? new SpecialToken(_tokens[_model.UnknownTokenId]!, _model.UnknownTokenId) : null));
        _postProcessor = config.TokenizerClass is { } cls && ClassesWithBosEosTemplate.Contains(cls)
            ? BosEosTemplate(config)
            : root.Optional("post_processor") is { } pp ? PostProcessorFactory.Create(pp) : null;
        _cleanUpTokenizationSpaces = config.CleanUpTokenizationSpaces;
        _postProcessorAddedCount = PostProcessedLength(_postProcessor);
    }

    /// <summary>
    /// The number of distinct ids, model vocabulary and added tokens together (<c>len(tokenizer)</c> in
    /// transformers). The model's embedding table may be larger.
    /// </summary>
    public int VocabularySize { get; }

    /// <summary>BOS, EOS, PAD and UNK as the model's configuration names them.</summary>
    public SpecialTokens SpecialTokens { get; }

    /// <summary>Loads tokenizer.json, and tokenizer_config.json and special_tokens_map.json when present, from a model directory.</summary>
    /// <exception cref="FileNotFoundException">The directory has no tokenizer.json.</exception>
    /// <exception cref="TokenizerFormatException">A file is malformed or uses an unsupported feature.</exception>
    public static HfTokenizer FromDirectory(string directory)
    {
        string tokenizerPath = Path.Combine(directory, TokenizerFile);
        if (!File.Exists(tokenizerPath))
        {
            throw new FileNotFoundException($"{directory} has no {TokenizerFile}; only tokenizer.json-based tokenizers are supported.", tokenizerPath);
        }
        string configPath = Path.Combine(directory, ConfigFile);
        string mapPath = Path.Combine(directory, SpecialTokensMapFile);
        return Create(
            JsonNode.Parse(File.ReadAllText(tokenizerPath), tokenizerPath),
            File.Exists(configPath) ? JsonNode.Parse(File.ReadAllText(configPath), configPath) : null,
            File.Exists(mapPath) ? JsonNode.Parse(File.ReadAllText(mapPath), mapPath) : null);
    }

    /// <summary>Builds a tokenizer from the text of tokenizer.json and, optionally, tokenizer_config.json and special_tokens_map.json.</summary>
    /// <exception cref="TokenizerFormatException">A document is malformed or uses an unsupported feature.</exception>
    public static HfTokenizer FromJson(string tokenizerJson, string? tokenizerConfigJson = null, string? specialTokensMapJson = null) =>
        Create(
            JsonNode.Parse(tokenizerJson, TokenizerFile),
            tokenizerConfigJson is null ? null : JsonNode.Parse(tokenizerConfigJson, ConfigFile),
            specialTokensMapJson is null ? null : JsonNode.Parse(specialTokensMapJson, SpecialTokensMapFile));

    private static HfTokenizer Create(JsonNode tokenizer, JsonNode? config, JsonNode? specialTokensMap) =>
        new(tokenizer, config is null && specialTokensMap is null ? TokenizerConfig.Empty : TokenizerConfig.Load(config, specialTokensMap));

    /// <summary>Encodes text to token ids.</summary>
    /// <param name="text">The text; added and special tokens written in it are recognised.</param>
    /// <param name="addSpecialTokens">Apply the post-processor (BOS/EOS template), as transformers does by default.</param>
    public int[] Encode(string text, bool addSpecialTokens = true)
    {
        ArgumentNullException.ThrowIfNull(text);
        var ids = new List<int>(text.Length / 3 + 16);
        EncodeCore(text.AsMemory(), new ModelSink(_model, ids, countOnly: false));
        PostProcess(ids, 0, addSpecialTokens);
        return ids.ToArray();
    }

    /// <summary>Encodes text, appending the ids to <paramref name="ids"/>; reusing the list makes encoding allocation-light.</summary>
    public void Encode(ReadOnlySpan<char> text, List<int> ids, bool addSpecialTokens = true)
    {
        ArgumentNullException.ThrowIfNull(ids);
        int start = ids.Count;
        WithMemory(text, memory => EncodeCore(memory, new ModelSink(_model, ids, countOnly: false)));
        PostProcess(ids, start, addSpecialTokens);
    }

    /// <summary>The number of tokens <see cref="Encode(string, bool)"/> would return, without building the list.</summary>
    public int CountTokens(ReadOnlySpan<char> text, bool addSpecialTokens = true)
    {
        Scratch scratch = Scratch.Get();
        var counter = new ModelSink(_model, scratch.WordIds, countOnly: true);
        WithMemory(text, memory => EncodeCore(memory, counter));
        return counter.Count + (addSpecialTokens ? _postProcessorAddedCount : 0);
    }

    /// <summary>Decodes ids to text as HF's <c>Tokenizer.decode</c> does; ids outside the vocabulary are skipped.</summary>
    /// <param name="ids">Token ids.</param>
    /// <param name="skipSpecialTokens">Leave out added tokens marked special (BOS, EOS, chat markers).</param>
    public string Decode(ReadOnlySpan<int> ids, bool skipSpecialTokens = false)
    {
        string text = DecodeRaw(ids, skipSpecialTokens);
        return _cleanUpTokenizationSpaces ? CleanUpTokenizationSpaces(text) : text;
    }

    /// <summary>Decodes ids to text, applying transformers' clean-up of spaces before punctuation when
    /// <paramref name="cleanUpSpaces"/> is true whatever tokenizer_config.json says (the contract's Detokenize flag).</summary>
    /// <param name="ids">Token ids; ids outside the vocabulary are skipped.</param>
    /// <param name="skipSpecialTokens">Leave out added tokens marked special.</param>
    /// <param name="cleanUpSpaces">Apply the clean-up.</param>
    public string Decode(ReadOnlySpan<int> ids, bool skipSpecialTokens, bool cleanUpSpaces)
    {
        string text = DecodeRaw(ids, skipSpecialTokens);
        return cleanUpSpaces ? CleanUpTokenizationSpaces(text) : text;
    }

    /// <summary>The id of a token (added tokens first, then the model vocabulary), or null.</summary>
    public int? TokenToId(string token)
    {
        ArgumentNullException.ThrowIfNull(token);
        if (_addedTokenIds.TryGetValue(token, out int id) || _model.Vocabulary.TryGetValue(token, out id))
        {
            return id;
        }
        return null;
    }

    /// <summary>The token string of an id as stored in tokenizer.json (byte-level or "▁" form), or null.</summary>
    public string? IdToToken(int id) => (uint)id < (uint)_tokens.Length ? _tokens[id] : null;

    /// <summary>Whether the id is an added token marked special.</summary>
    public bool IsSpecialToken(int id) => (uint)id < (uint)_special.Length && _special[id];

    /// <summary>Starts a streaming decoder that turns ids into text as they are generated.</summary>
    public IncrementalDecoder CreateIncrementalDecoder(bool skipSpecialTokens = false) => new(this, skipSpecialTokens);

    /// <summary>Decode without transformers' clean-up, which HF's DecodeStream does not apply either.</summary>
    internal string DecodeRaw(ReadOnlySpan<int> ids, bool skipSpecialTokens)
    {
        var tokens = new List<string>(ids.Length);
        foreach (int id in ids)
        {
            if (IdToToken(id) is { } token && !(skipSpecialTokens && _special[id]))
            {
                tokens.Add(token);
            }
        }
        if (_decoder is null)
        {
            return string.Join(' ', tokens);
        }
        _decoder.Decode(tokens);
        return string.Concat(tokens);
    }

    private void EncodeCore(ReadOnlyMemory<char> text, ModelSink model)
    {
        Scratch scratch = Scratch.Get();
        List<TextSegment> raw = scratch.RawSegments;
        raw.Clear();
        _rawAddedTokens.Split(text, atInputStart: true, raw);
        foreach (TextSegment segment in raw)
        {
            if (segment.IsAddedToken)
            {
                model.AddId(segment.TokenId);
                continue;
            }
            ReadOnlyMemory<char> normalized = _normalizer is null ? segment.Text : _normalizer.Normalize(AsString(segment.Text)).AsMemory();
            if (_normalizedAddedTokens.IsEmpty)
            {
                EncodeText(normalized, segment.AtInputStart, model);
                continue;
            }
            List<TextSegment> parts = scratch.NormalizedSegments;
            parts.Clear();
            _normalizedAddedTokens.Split(normalized, segment.AtInputStart, parts);
            foreach (TextSegment part in parts)
            {
                if (part.IsAddedToken)
                {
                    model.AddId(part.TokenId);
                }
                else
                {
                    EncodeText(part.Text, part.AtInputStart, model);
                }
            }
        }
        scratch.Trim();
    }

    private void PostProcess(List<int> ids, int start, bool addSpecialTokens)
    {
        if (addSpecialTokens && _postProcessor is not null)
        {
            _postProcessor.Process(ids, start);
        }
    }

    // The pipeline slices its input as memory; a span is copied into a pooled array for the call.
    private static void WithMemory(ReadOnlySpan<char> text, Action<ReadOnlyMemory<char>> encode)
    {
        char[] copy = ArrayPool<char>.Shared.Rent(text.Length);
        try
        {
            text.CopyTo(copy);
            encode(copy.AsMemory(0, text.Length));
        }
        finally
        {
            ArrayPool<char>.Shared.Return(copy);
        }
    }

    private void EncodeText(ReadOnlyMemory<char> text, bool atInputStart, ModelSink model)
    {
        // HF drops empty splits before pre-tokenisation, so text that normalises to nothing gets no "▁".
        if (text.IsEmpty)
        {
            return;
        }
        var piece = new Piece(text, atInputStart);
        if (_preTokenizer is null)
        {
            model.Accept(piece);
        }
        else
        {
            _preTokenizer.PreTokenize(piece, model);
        }
    }

    // The template adds the same ids whatever the sequence, so counting needs only their number.
    private static int PostProcessedLength(PostProcessor? postProcessor)
    {
        var ids = new List<int>();
        postProcessor?.Process(ids, 0);
        return ids.Count;
    }

    private static string AsString(ReadOnlyMemory<char> text) =>
        MemoryMarshal.TryGetString(text, out string? whole, out int start, out int length) && start == 0 && length == whole.Length ? whole : text.ToString();

    private static AddedToken ReadAddedToken(JsonNode node) => new(
        node.Required("id").GetInt32(),
        node.String("content"),
        node.Boolean("single_word", false),
        node.Boolean("lstrip", false),
        node.Boolean("rstrip", false),
        node.Boolean("normalized", true),
        node.Boolean("special", false));

    private SpecialToken? Resolve(TokenizerConfig config, string name)
    {
        if (!config.Tokens.TryGetValue(name, out (string Content, JsonNode Source) entry))
        {
            return null;
        }
        return TokenToId(entry.Content) is { } id
            ? new SpecialToken(entry.Content, id)
            : throw entry.Source.Error($"{name} \"{entry.Content}\" is not in the vocabulary");
    }

    // transformers' LlamaTokenizerFast.update_post_processor and its siblings: BOS unless add_bos_token is
    // false, EOS only when add_eos_token is true.
    private SurroundingPostProcessor BosEosTemplate(TokenizerConfig config)
    {
        var prefix = new List<int>();
        var suffix = new List<int>();
        if (config.AddBosToken ?? true)
        {
            prefix.Add(SpecialTokens.Bos?.Id ?? throw new TokenizerFormatException(ConfigFile, "add_bos_token", "add_bos_token is true but bos_token is not set"));
        }
        if (config.AddEosToken ?? false)
        {
            suffix.Add(SpecialTokens.Eos?.Id ?? throw new TokenizerFormatException(ConfigFile, "add_eos_token", "add_eos_token is true but eos_token is not set"));
        }
        return new SurroundingPostProcessor(prefix, suffix);
    }

    // transformers' clean_up_tokenization, applied when tokenizer_config.json sets clean_up_tokenization_spaces.
    private static string CleanUpTokenizationSpaces(string text) => text
        .Replace(" .", ".", StringComparison.Ordinal)
        .Replace(" ?", "?", StringComparison.Ordinal)
        .Replace(" !", "!", StringComparison.Ordinal)
        .Replace(" ,", ",", StringComparison.Ordinal)
        .Replace(" ' ", "'", StringComparison.Ordinal)
        .Replace(" n't", "n't", StringComparison.Ordinal)
        .Replace(" 'm", "'m", StringComparison.Ordinal)
        .Replace(" 's", "'s", StringComparison.Ordinal)
        .Replace(" 've", "'ve", StringComparison.Ordinal)
        .Replace(" 're", "'re", StringComparison.Ordinal);

    // The end of the pre-tokenizer pipeline: each word goes through BPE as soon as it is cut, and its ids
    // are either appended to the caller's list or, when counting, only counted.
    private sealed class ModelSink(BpeModel model, List<int> ids, bool countOnly) : PieceSink
    {
        public int Count { get; private set; }

        public void AddId(int id)
        {
            if (countOnly)
            {
                Count++;
            }
            else
            {
                ids.Add(id);
            }
        }

        public override void Accept(Piece piece)
        {
            if (countOnly)
            {
                ids.Clear();
                model.Encode(piece.Text.Span, piece.BytesPending, ids);
                Count += ids.Count;
            }
            else
            {
                model.Encode(piece.Text.Span, piece.BytesPending, ids);
            }
        }
    }

    // Per-thread buffers reused across calls. One text with thousands of added tokens must not pin its
    // buffers to the thread for good, so oversized ones are dropped.
    private sealed class Scratch
    {
        private const int KeepLimit = 1 << 12;

        public List<int> WordIds { get; } = [];
        public List<TextSegment> RawSegments { get; private set; } = [];
        public List<TextSegment> NormalizedSegments { get; private set; } = [];

        public static Scratch Get() => _scratch ??= new Scratch();

        public void Trim()
        {
            if (RawSegments.Capacity > KeepLimit)
            {
                RawSegments = [];
            }
            if (NormalizedSegments.Capacity > KeepLimit)
            {
                NormalizedSegments = [];
            }
        }
    }
}
