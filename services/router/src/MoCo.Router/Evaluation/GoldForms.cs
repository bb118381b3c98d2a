using MoCo.Contracts.V1;

namespace MoCo.Router.Evaluation;

/// <summary>A dataset item's gold as methods read it: the answer (a multiple-choice letter, or the `output` field as text,
/// JSON for non-strings) and its text (the option's text for multiple choice).</summary>
public static class GoldForms
{
    /// <summary>(answer, text) of <paramref name="gold"/>; both null when the item has none.</summary>
    public static (string? Gold, string? GoldText) Of(Gold? gold)
    {
        var answer = gold?.FormCase switch
        {
            Gold.FormOneofCase.Choice => gold.Choice.Letter,
            Gold.FormOneofCase.Output => gold.Output.KindCase == Google.Protobuf.WellKnownTypes.Value.KindOneofCase.StringValue
                ? gold.Output.StringValue : Google.Protobuf.JsonFormatter.Default.Format(gold.Output),
            _ => null,
        };
        return (answer, gold?.FormCase == Gold.FormOneofCase.Choice ? gold.Choice.Text : answer);
    }
}
