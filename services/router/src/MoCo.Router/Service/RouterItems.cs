using System.Globalization;
using MoCo.Contracts.V1;

namespace MoCo.Router.Service;

/// <summary>The call-key item of a routed input (router.proto RouteInput.item_key): what a run keys the item's
/// counter-based draws on (methods-api.md §0.7), so a served item draws as the run drew for it.</summary>
public static class RouterItems
{
    /// <summary>The split a run's test items come from; an input without an item key is taken as one of them.</summary>
    public const string TestSplit = "test";

    /// <summary>The split a run's dev items come from (TrainRouter's dev inputs are keyed in it).</summary>
    public const string DevSplit = "dev";

    /// <summary><paramref name="input"/>'s item key, or `test/{index}` where the request leaves it empty.</summary>
    public static string Key(RouteInput input)
    {
        ArgumentNullException.ThrowIfNull(input);
        return input.ItemKey.Length > 0 ? input.ItemKey : Of(TestSplit, input.Index);
    }

    /// <summary>The item key `split/index` (a run's ChatPrompts.ItemKey).</summary>
    public static string Of(string split, int index) => $"{split}/{index.ToString(CultureInfo.InvariantCulture)}";
}
