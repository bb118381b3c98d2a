using MoCo.Contracts.V1;

namespace MoCo.Router.Training;

/// <summary>One CoLLM deferral example (methods-api.md §8): the prompt's chat messages (rendered with the generation
/// prompt), the completion text (tokenised without special tokens, no end token added: the caller scored exactly
/// those tokens), and per completion token its deferral label (1 defer, 0 keep, -100 ignored) and the mentor's
/// log-prob of it.</summary>
public sealed record DeferralExample(IReadOnlyList<Decoding.ChatTurn> Prompt, string Completion, IReadOnlyList<int> Labels,
    IReadOnlyList<float> MentorLogprobs);

/// <summary>What a CoLLM deferral job sets (methods-api.md §8); the rest is the service's COLLM_DEFERRAL defaults (lr 2e-5
/// linear, warmup 0.04, 2 epochs, micro-batch 1, accumulation 32, full weights) with seed 42 and no weight decay.</summary>
public sealed record DeferralSettings(string AddToken, int MaxLength);

/// <summary>The COLLM_DEFERRAL job (contracts.md §4, methods-api.md §8 steps 4–5) as runs and the router service send it.</summary>
public static class DeferralJobs
{
    /// <summary>The job before its base model, output id and call key are set: the added entry, the truncation length,
    /// no weight decay, seed 42; the rest is the service's COLLM_DEFERRAL defaults.</summary>
    public static TrainJob Create(DeferralSettings settings)
    {
        ArgumentNullException.ThrowIfNull(settings);
        return new TrainJob
        {
            Kind = TrainKind.CollmDeferral,
            AddToken = settings.AddToken,
            Hyper = new TrainHyper { MaxLength = settings.MaxLength, WeightDecay = 0, Seed = 42 },
        };
    }

    /// <summary><paramref name="example"/> as Train takes it: the chat prompt, the completion with its labels and the
    /// mentor's log-probs.</summary>
    public static TrainExample Example(DeferralExample example)
    {
        ArgumentNullException.ThrowIfNull(example);
        var chat = new ChatPrompt();
        chat.Messages.Add(example.Prompt.Select(m => new ChatMessage { Role = m.Role, Content = m.Content }));
        var target = new DeferralTarget { Completion = new Continuation { Text = example.Completion } };
        target.DeferralLabels.Add(example.Labels);
        target.MentorLogprobs.Add(example.MentorLogprobs);
        return new TrainExample { Prompt = new Prompt { Chat = chat }, Deferral = target };
    }
}
