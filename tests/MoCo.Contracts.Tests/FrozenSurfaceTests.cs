using System.Text;

namespace MoCo.Contracts.Tests;

/// <summary>
/// The descriptor freeze guard of contracts.md §11: the compiled v1 surface must contain every element
/// of the committed snapshot protos/moco/v1/frozen-v1.txt unchanged, and the snapshot must record every
/// addition. With MOCO_UPDATE_FROZEN=1 an additive change rewrites the snapshot; a breaking one never
/// does.
/// </summary>
public sealed class FrozenSurfaceTests
{
    private const string UpdateVariable = "MOCO_UPDATE_FROZEN";
    private const string UpdateCommand =
        UpdateVariable + "=1 dotnet test tests/MoCo.Contracts.Tests/MoCo.Contracts.Tests.csproj";

    [Fact]
    public void CurrentContractsKeepTheFrozenV1Surface()
    {
        var path = Contracts.FrozenSnapshotPath;
        var current = ContractSurface.Render(Contracts.Files);
        var exists = File.Exists(path);
        var frozen = exists ? File.ReadAllText(path, Encoding.UTF8) : "";
        var diff = ContractSurface.Compare(frozen, current);
        var update = Environment.GetEnvironmentVariable(UpdateVariable) == "1";

        if (diff.Breaking.Count > 0)
        {
            Assert.Fail(
                $"The v1 contracts removed or changed {diff.Breaking.Count} frozen element(s) of {path} " +
                "(contracts.md §11: v1 only grows; field numbers, types, labels, names and enum values never change):\n  " +
                string.Join("\n  ", diff.Breaking) +
                "\nRestore them. A breaking change belongs in a new package moco.v2 served beside v1; the " +
                "snapshot is never rewritten for it" + (update ? $" ({UpdateVariable} ignored)." : "."));
        }

        var canonical = string.Equals(frozen.Replace("\r\n", "\n", StringComparison.Ordinal), current, StringComparison.Ordinal);
        if (update)
        {
            if (!canonical)
            {
                File.WriteAllText(path, current, new UTF8Encoding(encoderShouldEmitUTF8Identifier: false));
            }
            return;
        }

        if (!exists)
        {
            Assert.Fail($"The frozen snapshot {path} is missing. Generate it with: {UpdateCommand}");
        }
        if (diff.Additions.Count > 0)
        {
            Assert.Fail(
                $"The v1 contracts have {diff.Additions.Count} element(s) not yet recorded in {path}:\n  " +
                string.Join("\n  ", diff.Additions) +
                $"\nAdditions are allowed (contracts.md §11). If they are intended, record them with: {UpdateCommand}" +
                "\nand commit the snapshot; once recorded they are frozen too.");
        }
        Assert.True(canonical,
            $"{path} holds the right elements but is not in its generated form (edited by hand?). Regenerate it with: {UpdateCommand}");
    }
}
