using MoCo.Contracts.V1;
using MoCo.Inference.Registry;
using MoCo.Native.Kernels;

namespace MoCo.Inference.Scheduling;

/// <summary>
/// One sequence of a Decode stream (contracts.md §4 Decode): its model, its KV sequence and tokens, what each step
/// reports and how it draws. The stream runs at most one op of a sequence at a time, and every op runs on the loop of
/// the sequence's model, so the mutable state is only touched by that loop thread, handed over between ops through
/// the stream's event channel.
/// </summary>
internal sealed class DecodeSequence
{
    public DecodeSequence(string id, ServedModel model, IEnumerable<int> tokens, int promptLength, StepOutputs outputs, SamplingOptions draw, ulong seed)
    {
        Id = id;
        Model = model;
        Tokens = [.. tokens];
        PromptLength = promptLength;
        Outputs = outputs;
        Draw = draw;
        Seed = seed;
    }

    /// <summary>The caller's id.</summary>
    public string Id { get; }

    /// <summary>The model whose loop owns the sequence.</summary>
    public ServedModel Model { get; }

    /// <summary>The KV sequence; -1 before the open runs and after the sequence is freed.</summary>
    public int CacheId { get; set; } = -1;

    /// <summary>Every token fed so far, prompt included (the repetition penalty's history, truncate's source).</summary>
    public List<int> Tokens { get; }

    /// <summary>Length of the opened prompt: the L5 draw counter is the number of tokens after it.</summary>
    public int PromptLength { get; }

    /// <summary>What each step reports, until an append replaces it.</summary>
    public StepOutputs Outputs { get; set; }

    /// <summary>The processors of the draw (temperature 0 = greedy).</summary>
    public SamplingOptions Draw { get; }

    /// <summary>L5 seed of the draw.</summary>
    public ulong Seed { get; }

    /// <summary>KV blocks kept reserved for this sequence on its model's loop (<see cref="ModelScheduler.Keep"/>).</summary>
    public int ReservedBlocks { get; set; }

    /// <summary>True while the sequence holds one of the loop's reserved sequence slots.</summary>
    public bool ReservesSlot { get; set; }

    /// <summary>The L5 draw counter for the next token: tokens after the opened prompt, so a truncate re-draws the same u.</summary>
    public ulong DrawCounter => DrawCounterAt(Tokens.Count);

    /// <summary>The L5 draw counter once the sequence holds <paramref name="length"/> tokens.</summary>
    public ulong DrawCounterAt(int length) => (ulong)Math.Max(length - PromptLength, 0);

    /// <summary>The blocks a sequence of <paramref name="length"/> tokens reserves: its blocks plus one for the
    /// copy-on-write copy of a last block it shares with a fork.</summary>
    public static int BlocksFor(int length, int blockTokens) => (length + blockTokens - 1) / blockTokens + 1;

    /// <summary>A copy-on-write child sharing the tokens and settings (loop thread; the caller forks the KV).</summary>
    public DecodeSequence Fork(string id, ulong? seed) => new(id, Model, Tokens, PromptLength, Outputs, Draw, seed ?? Seed);

    /// <summary>Frees the KV sequence and gives its reservation back (loop thread); a no-op once freed.</summary>
    public void Free(Native.Inference.MocoKvCache cache, ModelScheduler scheduler)
    {
        if (CacheId >= 0)
        {
            cache.Free(CacheId);
            CacheId = -1;
        }
        scheduler.Return(ReservedBlocks, ReservesSlot ? 1 : 0);
        ReservedBlocks = 0;
        ReservesSlot = false;
    }

    /// <summary>Sets the kept reservation to what <paramref name="length"/> tokens need (loop thread).</summary>
    public void Reserve(int length, int blockTokens, ModelScheduler scheduler)
    {
        var target = BlocksFor(length, blockTokens);
        var slot = ReservesSlot ? 0 : 1;
        if (target >= ReservedBlocks)
        {
            scheduler.Keep(target - ReservedBlocks, slot);
        }
        else
        {
            scheduler.Keep(0, slot);
            scheduler.Return(ReservedBlocks - target, 0);
        }
        ReservedBlocks = target;
        ReservesSlot = true;
    }
}
