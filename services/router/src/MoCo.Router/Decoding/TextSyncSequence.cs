using MoCo.Contracts.V1;

namespace MoCo.Router.Decoding;

/// <summary>
/// One model's view of a shared response text S under TextSync (methods-api.md §0.6): its context is
/// tokenize(P + S) as one string; after S changes the new ids are compared with the open sequence, the sequence is
/// truncated to their longest common prefix and the rest appended — the reference's full re-run at KV-cache cost.
/// </summary>
public sealed class TextSyncSequence
{
    private readonly IDecodeBackend _backend;
    private readonly IDecodeSession _session;
    private readonly string _seq;
    private readonly StepOutputs _outputs;
    private readonly double _temperature;
    private readonly ulong _seed;
    private List<int>? _ids;

    /// <summary>A sequence of <paramref name="model"/> with formatted prompt <paramref name="prompt"/>, opened on first sync.</summary>
    public TextSyncSequence(IDecodeBackend backend, IDecodeSession session, string seq, string model, string prompt, StepOutputs outputs, double temperature,
        ulong seed)
    {
        (_backend, _session, _seq, Model, Prompt, _outputs, _temperature, _seed) = (backend, session, seq, model, prompt, outputs, temperature, seed);
    }

    /// <summary>The model.</summary>
    public string Model { get; }

    /// <summary>The formatted prompt P.</summary>
    public string Prompt { get; }

    /// <summary>The ids of the open sequence.</summary>
    public IReadOnlyList<int> Ids => _ids ?? [];

    /// <summary>The step outputs for the next token after P + <paramref name="text"/>.</summary>
    public async Task<DecodeStep> SyncAsync(string text, CancellationToken cancellationToken)
    {
        var ids = await _backend.TokenizeAsync(Model, Prompt + text, special: true, cancellationToken).ConfigureAwait(false);
        if (_ids is null)
        {
            _ids = [.. ids];
            return await _session.OpenAsync(_seq, Model, ids, _outputs, _temperature, _seed).ConfigureAwait(false);
        }
        var common = 0;
        while (common < ids.Length && common < _ids.Count && ids[common] == _ids[common])
        {
            common++;
        }
        DecodeStep? step = null;
        if (common < _ids.Count || common == ids.Length)
        {
            // Truncating to the full length re-asks the current step (nothing changed, or S only shrank).
            step = await _session.TruncateAsync(_seq, common).ConfigureAwait(false);
        }
        if (common < ids.Length)
        {
            step = await _session.AppendAsync(_seq, ids[common..]).ConfigureAwait(false);
        }
        _ids = [.. ids];
        return step!;
    }

    /// <summary>Append semantics (nudging's use_kv_cache): <paramref name="piece"/> tokenised alone, no special tokens,
    /// appended; the step for the next token.</summary>
    public async Task<DecodeStep> AppendPieceAsync(string piece, CancellationToken cancellationToken)
    {
        var ids = await _backend.TokenizeAsync(Model, piece, special: false, cancellationToken).ConfigureAwait(false);
        if (ids.Length == 0)
        {
            return await _session.TruncateAsync(_seq, Ids.Count).ConfigureAwait(false);
        }
        _ids!.AddRange(ids);
        return await _session.AppendAsync(_seq, ids).ConfigureAwait(false);
    }

    /// <summary>Appends one token id (a greedy patch), the step for the next token.</summary>
    public async Task<DecodeStep> AppendTokenAsync(int token)
    {
        _ids!.Add(token);
        return await _session.AppendAsync(_seq, [token]).ConfigureAwait(false);
    }

    /// <summary>The piece text of token <paramref name="token"/> after the current ids (§0.6): decode(ids + [t]) minus
    /// decode(ids), special tokens kept, no clean-up; where the longer text does not extend the shorter, the suffix after
    /// their longest common prefix.</summary>
    public async Task<string> PieceAsync(int token, CancellationToken cancellationToken)
    {
        var texts = await _backend.DetokenizeAsync(Model, [[.. Ids], [.. Ids, token]], skipSpecial: false, cancellationToken).ConfigureAwait(false);
        return Piece(texts[0], texts[1]);
    }

    /// <summary>The text <paramref name="longer"/> adds to <paramref name="shorter"/>.</summary>
    public static string Piece(string shorter, string longer)
    {
        if (longer.StartsWith(shorter, StringComparison.Ordinal))
        {
            return longer[shorter.Length..];
        }
        var common = 0;
        while (common < shorter.Length && common < longer.Length && shorter[common] == longer[common])
        {
            common++;
        }
        return longer[common..];
    }

    /// <summary>Closes the sequence if it was opened.</summary>
    public Task CloseAsync() => _ids is null ? Task.CompletedTask : _session.CloseAsync(_seq);
}
