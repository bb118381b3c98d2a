using MoCo.Contracts.V1;

namespace MoCo.Router.Training;

/// <summary>A finished training job: the service's done message, and the replica that trained it (the <c>moco-replica</c>
/// of the Train response; null when none was named).</summary>
public sealed record TrainOutcome(TrainDone Done, string? Replica);
