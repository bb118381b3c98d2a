using MoCo.Contracts.V1;

namespace MoCo.Router.Decoding;

/// <summary>What token-level methods need of the inference service (methods-api.md §0.6): a model's EOS set, its
/// rendered prompt, tokenising and decoding, and Decode sessions. Model names are as the inference service knows them.</summary>
public interface IDecodeBackend
{
    /// <summary>The model's EOS set: the tokenizer's EOS ∪ generation_config's.</summary>
    Task<IReadOnlySet<int>> EosAsync(string model, CancellationToken cancellationToken);

    /// <summary>The chat template of [user: <paramref name="user"/>] with the generation prompt, as text (the message
    /// itself when the model has no template).</summary>
    Task<string> RenderAsync(string model, string user, CancellationToken cancellationToken);

    /// <summary>The chat template of <paramref name="messages"/> (with the generation prompt when
    /// <paramref name="generationPrompt"/>): its ids exactly as Generate would see them, and its text.</summary>
    Task<(int[] Ids, string Text)> TokenizeChatAsync(string model, IReadOnlyList<ChatTurn> messages, bool generationPrompt, CancellationToken cancellationToken);

    /// <summary>The ids of <paramref name="text"/> as one string: a BOS added unless it already starts with one
    /// (<paramref name="special"/>), or no special tokens at all.</summary>
    Task<int[]> TokenizeAsync(string model, string text, bool special, CancellationToken cancellationToken);

    /// <summary>The texts of <paramref name="sequences"/>, special tokens kept (or skipped), no clean-up.</summary>
    Task<IReadOnlyList<string>> DetokenizeAsync(string model, IReadOnlyList<int[]> sequences, bool skipSpecial, CancellationToken cancellationToken);

    /// <summary>A new Decode stream; disposing it frees its sequences.</summary>
    IDecodeSession OpenSession(CancellationToken cancellationToken);
}

/// <summary>One chat message: role ("system", "user", "assistant") and content.</summary>
public sealed record ChatTurn(string Role, string Content);

/// <summary>One Decode stream (methods-api.md §0.6): sequences named by the caller, every open, append and truncate
/// answered by the next token's step outputs.</summary>
public interface IDecodeSession : IAsyncDisposable
{
    /// <summary>Opens <paramref name="seq"/> on <paramref name="model"/> with prompt ids, the outputs every step
    /// reports, and the draw's temperature (0 = greedy) and seed.</summary>
    Task<DecodeStep> OpenAsync(string seq, string model, IReadOnlyList<int> tokens, StepOutputs outputs, double temperature, ulong seed);

    /// <summary>Appends ids.</summary>
    Task<DecodeStep> AppendAsync(string seq, IReadOnlyList<int> tokens);

    /// <summary>Keeps the first <paramref name="length"/> ids.</summary>
    Task<DecodeStep> TruncateAsync(string seq, int length);

    /// <summary>Closes the sequence.</summary>
    Task CloseAsync(string seq);
}
