namespace MoCo.Router.Service;

/// <summary>api_switch_generation's served settings: tokens per patch, rounds R, the cue flags (objective_flag,
/// wait_flag) and the selector model.</summary>
public sealed record SwitchSettings(int PatchSize, int Rounds, bool Objective, bool Wait, string Selector);
