using MoCo.Contracts.V1;
using MoCo.Router.Routing;

namespace MoCo.Router.Decoding;

/// <summary>api_mentor_collab's settings (methods-api.md §7): the generator and the mentor, the percent of steps
/// consulting the mentor and whether the reference's strict `u &lt; p` test applies, the patch size, the generator's token
/// budget, and for mode "train" the MLP judge and its threshold (null judge = mode "free").</summary>
public sealed record MentorSettings(string Generator, string Mentor, double DecisionProportion, bool StrictConsult, int PatchSize, int MaxTokens,
    MentorMlp? Judge = null, double MlpThreshold = 0.5);

/// <summary>One item's output with its counts: mentor consultations, divergences (two patches and a judge) and mentor
/// patches taken.</summary>
public sealed record MentorText(string Text, int Consultations, int Divergences, int MentorPatches, string? Error = null);

/// <summary>
/// Mentor collaboration (methods-api.md §7): the generator writes word by word on the raw input (greedy, TextSync); at a
/// step whose draw u ∈ 1..100 is within the decision proportion the mentor writes its own next word; where the words
/// differ both write a greedy patch and a judge picks. Free mode: the generator, shown both as options, answers the
/// open stub, and a greedy piece of exactly "B" takes the mentor's patch, anything else its own. Train mode: the MLP
/// reads the generator's final-norm hidden state at the last token of the same text without the stub, and a score above
/// the threshold keeps the generator's patch, anything else takes the mentor's. An EOS in the chosen token, word or
/// patch keeps the text before it and ends the item.
/// </summary>
public static class MentorCollab
{
    /// <summary>The judge's text after input + G in free mode: the options, then the open stub.</summary>
    public static string JudgeSuffix(string generatorPatch, string mentorPatch) => JudgeOptions(generatorPatch, mentorPatch) + " My choice: Option (";

    /// <summary>The options after input + G, the text the MLP judge reads in train mode (the published MLPs saw this
    /// wording).</summary>
    public static string JudgeOptions(string generatorPatch, string mentorPatch) =>
        $"\nNow I will choose the next sequence that could lead to the correct answer. Option (A): {generatorPatch}, Option (B): {mentorPatch}.";

    /// <summary>Runs one item; <paramref name="item"/> keys the consultation draws.</summary>
    public static async Task<MentorText> RunAsync(IDecodeBackend backend, MentorSettings settings, string input, ulong seed, string item,
        CancellationToken cancellationToken)
    {
        await using var session = backend.OpenSession(cancellationToken);
        var outputs = new StepOutputs { Argmax = true };
        var generator = new TextSyncSequence(backend, session, item + "/g", settings.Generator, input,
            new StepOutputs { Argmax = true, HiddenState = settings.Judge is not null }, 0, 0);
        var mentor = new TextSyncSequence(backend, session, item + "/m", settings.Mentor, input, outputs, 0, 0);
        var eos = new Dictionary<TextSyncSequence, IReadOnlySet<int>>
        {
            [generator] = await backend.EosAsync(settings.Generator, cancellationToken).ConfigureAwait(false),
            [mentor] = await backend.EosAsync(settings.Mentor, cancellationToken).ConfigureAwait(false),
        };
        var text = "";
        int consultations = 0, divergences = 0, mentorPatches = 0;
        for (var step = 0L; ; step++)
        {
            var budget = await backend.TokenizeAsync(settings.Generator, text, special: false, cancellationToken).ConfigureAwait(false);
            if (budget.Length >= settings.MaxTokens)
            {
                break;
            }
            var (word, ended) = await WordAsync(generator, eos[generator], text, cancellationToken).ConfigureAwait(false);
            var next = word;
            var u = 1 + CounterRng.Below(100, seed, "mentor-consult", item, -1, step);
            if (!ended && (settings.StrictConsult ? u < settings.DecisionProportion : u <= settings.DecisionProportion))
            {
                consultations++;
                var (mentorWord, _) = await WordAsync(mentor, eos[mentor], text, cancellationToken).ConfigureAwait(false);
                if (mentorWord != word)
                {
                    divergences++;
                    var (own, ownEnded) = await PatchAsync(backend, generator, eos[generator], text, settings.PatchSize, cancellationToken).ConfigureAwait(false);
                    var (theirs, theirsEnded) = await PatchAsync(backend, mentor, eos[mentor], text, settings.PatchSize, cancellationToken).ConfigureAwait(false);
                    var takeMentor = await JudgeAsync(generator, settings, text, own, theirs, cancellationToken).ConfigureAwait(false);
                    mentorPatches += takeMentor ? 1 : 0;
                    (next, ended) = takeMentor ? (theirs, theirsEnded) : (own, ownEnded);
                }
            }
            text += next;
            if (ended || next.Length == 0)
            {
                break;
            }
        }
        await generator.CloseAsync().ConfigureAwait(false);
        await mentor.CloseAsync().ConfigureAwait(false);
        return new MentorText(text, consultations, divergences, mentorPatches);
    }

    // Whether the mentor's patch wins: the generator's own answer to the stub (free) or the MLP on its hidden state (train).
    private static async Task<bool> JudgeAsync(TextSyncSequence generator, MentorSettings settings, string text, string own, string theirs,
        CancellationToken cancellationToken)
    {
        if (settings.Judge is { } mlp)
        {
            var read = await generator.SyncAsync(text + JudgeOptions(own, theirs), cancellationToken).ConfigureAwait(false);
            if (read.Hidden.Count != mlp.HiddenSize)
            {
                throw new InvalidOperationException(
                    $"Decode on {generator.Model} reported a hidden state of {read.Hidden.Count} values; the MLP judge reads {mlp.HiddenSize}");
            }
            return !(mlp.Score(read.Hidden) > settings.MlpThreshold);
        }
        var judged = await generator.SyncAsync(text + JudgeSuffix(own, theirs), cancellationToken).ConfigureAwait(false);
        var choice = await generator.PieceAsync(judged.Argmax ?? throw new InvalidOperationException("Decode reported no argmax"), cancellationToken)
            .ConfigureAwait(false);
        return choice == "B";
    }

    // The next word after input + text: the greedy token, then up to 10 greedy tokens while their pieces neither are
    // empty nor start with a space or newline. An EOS ends the word and the item.
    private static async Task<(string Word, bool Ended)> WordAsync(TextSyncSequence sequence, IReadOnlySet<int> eos, string text,
        CancellationToken cancellationToken)
    {
        var word = "";
        for (var i = 0; i <= 10; i++)
        {
            var step = await sequence.SyncAsync(text + word, cancellationToken).ConfigureAwait(false);
            var token = step.Argmax ?? throw new InvalidOperationException($"Decode on {sequence.Model} reported no argmax");
            if (eos.Contains(token))
            {
                return (word, true);
            }
            var piece = await sequence.PieceAsync(token, cancellationToken).ConfigureAwait(false);
            if (i > 0 && (piece.Length == 0 || piece[0] is ' ' or '\n'))
            {
                break;
            }
            word += piece;
        }
        return (word, false);
    }

    // A greedy patch of up to `size` tokens after input + text, decoded without special tokens.
    private static async Task<(string Patch, bool Ended)> PatchAsync(IDecodeBackend backend, TextSyncSequence sequence, IReadOnlySet<int> eos, string text, int size,
        CancellationToken cancellationToken)
    {
        var step = await sequence.SyncAsync(text, cancellationToken).ConfigureAwait(false);
        var ids = new List<int>();
        var ended = false;
        for (var i = 0; i < size; i++)
        {
            var token = step.Argmax ?? throw new InvalidOperationException($"Decode on {sequence.Model} reported no argmax");
            if (eos.Contains(token))
            {
                ended = true;
                break;
            }
            ids.Add(token);
            if (i + 1 < size)
            {
                step = await sequence.AppendTokenAsync(token).ConfigureAwait(false);
            }
        }
        var decoded = ids.Count == 0 ? [""] : await backend.DetokenizeAsync(sequence.Model, [[.. ids]], skipSpecial: true, cancellationToken).ConfigureAwait(false);
        return (decoded[0], ended);
    }
}
