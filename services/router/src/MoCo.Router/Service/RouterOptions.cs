namespace MoCo.Router.Service;

/// <summary>The router service's settings (section <c>Moco:Router</c>).</summary>
public sealed class RouterOptions
{
    /// <summary>Configuration section.</summary>
    public const string Section = "Moco:Router";

    /// <summary>The inference service (or the gateway) the router generates on.</summary>
    public string InferenceAddress { get; set; } = "http://127.0.0.1:50051";

    /// <summary>The evaluator service (or the gateway) TrainRouter reads a dev_view from and scores its dev pass on.</summary>
    public string EvaluatorAddress { get; set; } = "http://127.0.0.1:50053";

    /// <summary>Folder of the router store; null = `&lt;MOCO_ARTIFACTS_DIR&gt;/routers`, where runs store the routers
    /// they fit.</summary>
    public string? StoreDirectory { get; set; }

    /// <summary>Folder of api_mentor_collab's MLP judges; null = `&lt;MOCO_ARTIFACTS_DIR&gt;/mentor_mlp`, where runs look for
    /// them.</summary>
    public string? MentorMlpDirectory { get; set; }
}
