using System.Globalization;

namespace MoCo.Router.Routing;

/// <summary>
/// The phases and roles of the api_* methods' calls that the router service replays (methods-api.md §0.11). A run
/// seeds each call from its phase and role (config-and-cli.md §5.2, <see cref="MoCo.Hosting.Randomness.CallSeeds"/>),
/// so the router service names a served call for a run's item with the same ones to draw what the run drew.
/// </summary>
public static class ApiCallSites
{
    /// <summary>The text routers' routing generations (api_prompt_routing, api_trained_router).</summary>
    public const string RoutePhase = "test · route";

    /// <summary>Route-then-answer's answers (methods-api.md §0.4).</summary>
    public const string AnswerPhase = "test · answer";

    /// <summary>api_switch_generation's patches and selector calls.</summary>
    public const string SwitchPhase = "test · switch";

    /// <summary>api_cascade's ScoredGen on dev that each level's threshold is calibrated from.</summary>
    public const string CalibratePhase = "dev · calibrate";

    /// <summary>DevProfile's generations: every model on every dev input (role `model/{index}`).</summary>
    public const string DevGeneratePhase = "dev · generate";

    /// <summary>The reward calls of a fit: api_trained_router's on the dev items where models tie, api_switch_generation's
    /// on its selector training rollouts.</summary>
    public const string RewardPhase = "dev · reward";

    /// <summary>api_switch_generation's selector training rollouts.</summary>
    public const string RolloutPhase = "dev · rollouts";

    /// <summary>api_collm's scoring of its training rows by both models.</summary>
    public const string CoLlmScorePhase = "train · score";

    /// <summary>api_collm's deferral training job.</summary>
    public const string CoLlmTrainPhase = "train · deferral";

    /// <summary>api_switch_generation's selector SFT job.</summary>
    public const string TrainSelectorPhase = "dev · train selector";

    /// <summary>api_trained_router's router SFT job.</summary>
    public const string TrainRouterPhase = "dev · train router";

    /// <summary>The role of a text router's generations.</summary>
    public const string RouterRole = "router";

    /// <summary>The role of api_switch_generation's selector calls.</summary>
    public const string SelectorRole = "selector";

    /// <summary>api_cascade's level <paramref name="level"/>.</summary>
    public static string LevelPhase(int level) => "test · level " + level.ToString(CultureInfo.InvariantCulture);

    /// <summary>The role of model_names[<paramref name="index"/>]'s calls.</summary>
    public static string ModelRole(int index) => "model/" + index.ToString(CultureInfo.InvariantCulture);
}
