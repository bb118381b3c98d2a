namespace MoCo.Orchestrator.Logs;

/// <summary>The reference log's file name (config-and-cli.md §3.1): `{task}_{n}_{score}_{suffix}.json` with
/// score = repr(round(avg, 4)); single_model and api_collm have their own shapes. Trailing slashes are trimmed before
/// taking a last path segment.</summary>
public static class LogFileName
{
    /// <summary>The name for a run of <paramref name="method"/>.</summary>
    /// <param name="method">Method id.</param>
    /// <param name="suffix">The method's log suffix (registry).</param>
    /// <param name="task">Task as written.</param>
    /// <param name="modelNames">model_names as written.</param>
    /// <param name="avgTestScore">avg_test_score.</param>
    /// <param name="deferralThreshold">api_collm's deferral_threshold.</param>
    public static string For(string method, string suffix, string task, IReadOnlyList<string> modelNames, double avgTestScore, double deferralThreshold = 0.5)
    {
        var score = PyFloat.Repr(PyFloat.Round(avgTestScore, 4));
        return method switch
        {
            "single_model" => $"{task}_{LastSegment(modelNames[0])}_{score}_single_model.json",
            "api_collm" => $"{task}_model_checkpoints_final_{LastSegment(modelNames[^1])}_collm_thresh{PyFloat.Fixed(deferralThreshold, 2)}.json",
            _ => $"{task}_{modelNames.Count}_{score}_{suffix}.json",
        };
    }

    /// <summary>The last `/`-separated segment, trailing slashes trimmed.</summary>
    public static string LastSegment(string name)
    {
        var trimmed = name.TrimEnd('/', '\\');
        var cut = trimmed.LastIndexOfAny(['/', '\\']);
        return cut < 0 ? trimmed : trimmed[(cut + 1)..];
    }
}
