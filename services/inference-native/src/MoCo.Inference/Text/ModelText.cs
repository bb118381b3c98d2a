using MoCo.Models.Catalog;
using MoCo.Models.ChatTemplates;
using MoCo.Models.Generation;
using MoCo.Models.Tokenization;

namespace MoCo.Inference.Text;

/// <summary>
/// The text side of one model directory, read once and shared by every call (immutable, thread-safe): its
/// tokenizer, chat template, special tokens, generation_config.json and the sizes prompts are checked against.
/// Prompt rendering and encoding (<see cref="PromptEncoder"/>) and request defaults (Requests/) are built on it,
/// so Tokenize, Generate and Score see the same ids for the same prompt.
/// </summary>
public sealed class ModelText
{
    private readonly ChatTemplateException? _templateError;

    private ModelText(HfTokenizer tokenizer, ChatTemplateFiles? templates, ChatTemplateException? templateError, ModelFiles files,
        ModelDirectory directory)
    {
        Tokenizer = tokenizer;
        Templates = templates;
        _templateError = templateError;
        Files = files;
        ContextLength = directory.ContextLength;
        HeadRows = directory.VocabSize;
        (SpecialPrefix, SpecialSuffix) = SpecialTokensAround(tokenizer);
        AddsBos = BosId is { } bos && SpecialPrefix.Contains(bos);
    }

    /// <summary>The tokenizer.json tokenizer.</summary>
    public HfTokenizer Tokenizer { get; }

    /// <summary>The chat template and the special tokens it may print; null when the template could not be parsed
    /// (chat prompts then fail with that error, text and token prompts still work).</summary>
    public ChatTemplateFiles? Templates { get; }

    /// <summary>Token facts as ModelInfo reports them: special tokens, BOS/EOS/PAD ids, generation_config.json.</summary>
    public ModelFiles Files { get; }

    /// <summary>generation_config.json (empty when absent).</summary>
    public GenerationConfig Generation => Files.Generation;

    /// <summary>The model's context in tokens; 0 when config.json declares none.</summary>
    public int ContextLength { get; }

    /// <summary>Rows of the output head (config.json vocab_size); 0 when unknown. May exceed the tokenizer's ids.</summary>
    public int HeadRows { get; }

    /// <summary>The tokenizer's BOS id (tokenizer_config.json / special_tokens_map.json), or null.</summary>
    public int? BosId => Tokenizer.SpecialTokens.Bos?.Id;

    /// <summary>True when the tokenizer's own special-token step puts a BOS in front (Llama, Gemma, Mistral; not
    /// GPT-2 or Qwen, whose bos_token is never added): only such a BOS is what BosMode adds or removes.</summary>
    public bool AddsBos { get; }

    /// <summary>Ids the tokenizer's post-processor puts before a text (add_special_tokens), in order.</summary>
    public IReadOnlyList<int> SpecialPrefix { get; }

    /// <summary>Ids the tokenizer's post-processor puts after a text (e.g. EOS with add_eos_token), in order.</summary>
    public IReadOnlyList<int> SpecialSuffix { get; }

    /// <summary>True when the model has a chat template (parsable or not).</summary>
    public bool HasChatTemplate => Templates?.Template is not null || _templateError is not null;

    /// <summary>The chat template, or null for a model without one (it gets the raw-prompt rule).</summary>
    /// <exception cref="ChatTemplateException">The model's template could not be parsed.</exception>
    public ChatTemplate? ChatTemplate => _templateError is null ? Templates?.Template : throw _templateError;

    /// <summary>True when <paramref name="id"/> is inside the model's vocabulary: below the head's rows, or an id the
    /// tokenizer knows (a tokenizer may have added tokens past a head that config.json undercounts).</summary>
    public bool IsValidId(int id) => id >= 0 && (id < HeadRows || Tokenizer.IdToToken(id) is not null);

    /// <summary>Reads the model directory <paramref name="directory"/>.</summary>
    /// <exception cref="FileNotFoundException">No tokenizer.json.</exception>
    /// <exception cref="TokenizerFormatException">tokenizer.json is malformed or uses an unsupported component.</exception>
    /// <exception cref="InvalidDataException">config.json or another JSON file is malformed.</exception>
    public static ModelText Load(string directory)
    {
        var tokenizer = HfTokenizer.FromDirectory(directory);
        ChatTemplateFiles? templates = null;
        ChatTemplateException? templateError = null;
        try
        {
            templates = ChatTemplateFiles.Load(directory);
        }
        catch (ChatTemplateException e)
        {
            // Kept, not thrown: a template this renderer cannot parse must not stop raw-text calls.
            templateError = e;
        }
        return new ModelText(tokenizer, templates, templateError, ModelFiles.Read(directory), ModelDirectory.Read(directory));
    }

    // The post-processor adds the same ids around every text (HfTokenizer counts them that way too), so one
    // probe finds them: the ids with special tokens, split where the ids without them sit.
    private static (int[] Prefix, int[] Suffix) SpecialTokensAround(HfTokenizer tokenizer)
    {
        const string probe = "a";
        var plain = tokenizer.Encode(probe, addSpecialTokens: false);
        var full = tokenizer.Encode(probe, addSpecialTokens: true);
        for (var start = 0; start + plain.Length <= full.Length; start++)
        {
            if (full.AsSpan(start, plain.Length).SequenceEqual(plain))
            {
                return (full[..start], full[(start + plain.Length)..]);
            }
        }
        return (full, []);
    }
}
