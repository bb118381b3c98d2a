namespace MoCo.Native.Training;

/// <summary>
/// One training sequence (<c>moco_train_example</c>), trained whole from position 0; the buffers are the
/// caller's and are pinned only during <see cref="MocoTrainer.AddBatch"/>.
/// </summary>
/// <param name="Tokens">At least 2 ids below the vocabulary size.</param>
/// <param name="TargetMask">Empty: tokens 1.. are targets. Else one flag per token, 1 = a target (predicted from the
/// ones before; a prompt token is 0); the first flag is ignored; at least one target.</param>
/// <param name="Reward">Policy gradient: the sequence's reward.</param>
/// <param name="Group">Policy gradient: examples of one call with the same group are normalised together (2 or more each).</param>
/// <param name="MentorLogprobs">Deferral: one float per token, at each target the mentor's log-prob of that token.</param>
public readonly record struct TrainExample(
    ReadOnlyMemory<int> Tokens,
    ReadOnlyMemory<byte> TargetMask = default,
    float Reward = 0f,
    int Group = 0,
    ReadOnlyMemory<float> MentorLogprobs = default);
