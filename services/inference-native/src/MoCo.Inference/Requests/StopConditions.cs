using MoCo.Contracts.V1;
using MoCo.Inference.Text;
using MoCo.Models.Generation;
using ContractEosStop = MoCo.Contracts.V1.EosStop;
using EosStop = MoCo.Models.Generation.EosStop;

namespace MoCo.Inference.Requests;

/// <summary>What ends a sample and how its text is made (contracts.md §2 InputSettings).</summary>
/// <param name="EosIds">Ids that end a sample with FINISH_REASON_EOS, ascending (the EosStop set).</param>
/// <param name="StopTokenIds">The request's extra ids that end a sample with FINISH_REASON_STOP_TOKEN, in request order.</param>
/// <param name="StopStrings">Strings whose appearance in the decoded text ends a sample, in request order.</param>
/// <param name="IncludeStop">Keep the matched stop string in the text.</param>
/// <param name="SkipSpecialTokens">Skip special tokens when decoding the output text.</param>
public sealed record StopConditions(
    IReadOnlyList<int> EosIds,
    IReadOnlyList<int> StopTokenIds,
    IReadOnlyList<string> StopStrings,
    bool IncludeStop,
    bool SkipSpecialTokens)
{
    /// <summary>Checks the stop fields of <paramref name="settings"/> (null = defaults) against the model and the limits.</summary>
    /// <param name="settings">The request's input settings.</param>
    /// <param name="text">The model, for the id range.</param>
    /// <param name="limits">Server limits.</param>
    /// <param name="field">Request path of the settings, e.g. "input_settings".</param>
    /// <param name="problems">Where problems go.</param>
    public static void Check(InputSettings? settings, ModelText text, RequestLimits limits, string field, FieldProblems problems)
    {
        ArgumentNullException.ThrowIfNull(text);
        ArgumentNullException.ThrowIfNull(limits);
        ArgumentNullException.ThrowIfNull(problems);
        if (settings is null)
        {
            return;
        }
        for (var j = 0; j < settings.StopTokenIds.Count; j++)
        {
            if (!text.IsValidId(settings.StopTokenIds[j]))
            {
                problems.Add(new Hosting.Errors.Problem($"{field}.stop_token_ids[{j}]", "BAD_TOKEN_ID",
                    $"{field}.stop_token_ids[{j}] = {settings.StopTokenIds[j]} is outside the model's vocabulary"));
            }
        }
        if (settings.StopStrings.Count > limits.MaxStopStrings)
        {
            problems.Invalid($"{field}.stop_strings", $"{field}.stop_strings holds {settings.StopStrings.Count} strings; this server takes at most {limits.MaxStopStrings}");
        }
        for (var j = 0; j < settings.StopStrings.Count; j++)
        {
            var s = settings.StopStrings[j];
            if (s.Length == 0)
            {
                problems.Invalid($"{field}.stop_strings[{j}]", $"{field}.stop_strings[{j}] is empty; an empty stop string would end every sample at once");
            }
            else if (s.Length > limits.MaxStopStringLength)
            {
                problems.Invalid($"{field}.stop_strings[{j}]", $"{field}.stop_strings[{j}] is {s.Length} characters long; this server takes at most {limits.MaxStopStringLength}");
            }
        }
    }

    /// <summary>The stop conditions in effect: the EOS set of InputSettings.eos (unset or unknown = EOS_SET) from the
    /// tokenizer's EOS and generation_config.json's eos_token_id, the request's stop ids and strings.</summary>
    public static StopConditions Resolve(InputSettings? settings, ModelText text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var mode = (settings?.Eos ?? ContractEosStop.Unspecified) switch
        {
            ContractEosStop.GenerationConfig => EosStop.GenerationConfig,
            ContractEosStop.Tokenizer => EosStop.Tokenizer,
            ContractEosStop.None => EosStop.None,
            _ => EosStop.EosSet,
        };
        return new StopConditions(
            EosStopSet.Resolve(mode, text.Files.TokenizerEosId, text.Generation),
            [.. settings?.StopTokenIds ?? []],
            [.. settings?.StopStrings ?? []],
            settings?.IncludeStop ?? false,
            settings?.SkipSpecialTokens ?? true);
    }
}
