using Google.Protobuf.Reflection;
using MoCo.Contracts.V1;

namespace MoCo.Contracts.Tests;

/// <summary>Naming and numbering conventions of contracts.md §0 and §11, checked on the descriptors.</summary>
public sealed class ConventionTests
{
    [Fact]
    public void EveryFileIsProto3InPackageMocoV1()
    {
        foreach (var file in Contracts.Files)
        {
            var proto = file.ToProto();
            Assert.Equal("proto3", proto.Syntax);
            Assert.Equal("moco.v1", proto.Package);
            Assert.Equal("MoCo.Contracts.V1", proto.Options.CsharpNamespace);
        }
    }

    [Fact]
    public void EveryEnumStartsWithPrefixedUnspecifiedAndPrefixesEveryValue()
    {
        var problems = new List<string>();
        foreach (var enumType in Contracts.AllEnums())
        {
            var first = enumType.Values.First();
            var prefix = first.Name.EndsWith("_UNSPECIFIED", StringComparison.Ordinal)
                ? first.Name[..^"_UNSPECIFIED".Length]
                : "";
            // The prefix is the enum name in upper case with underscores between words (how the C#
            // generator strips it): FinishReason → FINISH_REASON, DType → DTYPE.
            if (first.Number != 0 || prefix.Length == 0 ||
                !string.Equals(prefix.Replace("_", "", StringComparison.Ordinal), enumType.Name.ToUpperInvariant(), StringComparison.Ordinal))
            {
                problems.Add($"{enumType.FullName}: first value must be {enumType.Name.ToUpperInvariant()}_UNSPECIFIED = 0, is {first.Name} = {first.Number}");
                continue;
            }
            problems.AddRange(enumType.Values
                .Where(v => !v.Name.StartsWith(prefix + "_", StringComparison.Ordinal))
                .Select(v => $"{enumType.FullName}.{v.Name}: missing prefix {prefix}_"));
        }
        Assert.True(problems.Count == 0, string.Join("\n", problems));
    }

    [Fact]
    public void FieldNumbersAreDenseExceptReservations()
    {
        var problems = new List<string>();
        foreach (var message in Contracts.AllMessages())
        {
            var proto = message.ToProto();
            var used = proto.Field.Select(f => f.Number)
                .Concat(proto.ReservedRange.SelectMany(r => Enumerable.Range(r.Start, r.End - r.Start)))
                .Order()
                .ToList();
            if (!used.SequenceEqual(Enumerable.Range(1, used.Count)))
            {
                problems.Add($"{message.FullName}: numbers {string.Join(",", used)}");
            }
        }
        foreach (var enumType in Contracts.AllEnums())
        {
            var proto = enumType.ToProto();
            var used = proto.Value.Select(v => v.Number)
                .Concat(proto.ReservedRange.SelectMany(r => Enumerable.Range(r.Start, r.End - r.Start + 1)))
                .Order()
                .ToList();
            if (!used.SequenceEqual(Enumerable.Range(0, used.Count)))
            {
                problems.Add($"{enumType.FullName}: numbers {string.Join(",", used)}");
            }
        }
        Assert.True(problems.Count == 0, "gaps not covered by `reserved`:\n" + string.Join("\n", problems));
    }

    [Fact]
    public void NoFieldUsesProto3Optional()
    {
        var optional = Contracts.AllMessages().SelectMany(m => m.Fields.InDeclarationOrder()).Where(f => f.ToProto().Proto3Optional);
        Assert.Empty(optional.Select(f => f.FullName));
    }

    [Fact]
    public void CreatingCallsCarryACallKey()
    {
        // contracts.md §0: calls that create something take a call_key (config-and-cli.md §5.2).
        string[] creators =
        [
            "GenerateRequest", "GenerateEnsembleRequest", "ScoreRequest", "MergeRequest", "WriteModelHeader",
            "TrainJob", "TrainRouterRequest",
        ];
        foreach (var name in creators)
        {
            var message = Contracts.AllMessages().Single(m => m.Name == name);
            var field = message.FindFieldByName("call_key");
            Assert.True(field is not null, $"{name} has no call_key");
            Assert.Equal(FieldType.String, field.FieldType);
        }
    }

    [Fact]
    public void RunEventTypesAreThoseOfTheJsonEventStream()
    {
        // config-and-cli.md §4.2 event types, plus log_file and item_record (contracts.md §7).
        string[] types =
        [
            "run_started", "phase_started", "progress", "phase_finished", "item_finished", "warning",
            "log_written", "run_finished", "error", "log_file", "item_record",
        ];
        var oneof = RunEvent.Descriptor.Oneofs.Single();
        Assert.Equal("type", oneof.Name);
        Assert.Equal(types.Order(StringComparer.Ordinal), oneof.Fields.Select(f => f.Name).Order(StringComparer.Ordinal));
        Assert.Equal(["v", "ts", "run_id"], RunEvent.Descriptor.Fields.InFieldNumberOrder().Take(3).Select(f => f.Name));
    }

    [Theory]
    [InlineData("progress", "phase,model,done,total,items_per_s,tokens_per_s,eta_s,loss")]
    [InlineData("run_finished", "status,score,reference_log,wall_s")]
    [InlineData("error", "code,message,fix")]
    [InlineData("phase_started", "name,unit,total")]
    [InlineData("log_written", "path")]
    [InlineData("run_started", "config,device_map,seed,compat")]
    public void RunEventPayloadsCarryTheJsonFieldNames(string eventType, string fieldNames)
    {
        var payload = RunEvent.Descriptor.FindFieldByName(eventType).MessageType;
        var names = payload.Fields.InDeclarationOrder().Select(f => f.Name).ToHashSet(StringComparer.Ordinal);
        foreach (var name in fieldNames.Split(','))
        {
            Assert.True(names.Contains(name), $"{eventType} lacks {name}");
        }
    }
}
