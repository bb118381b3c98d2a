using Google.Protobuf.Reflection;
using FileOptions = Google.Protobuf.Reflection.FileOptions;
using ProtoLabel = Google.Protobuf.Reflection.FieldDescriptorProto.Types.Label;
using ProtoType = Google.Protobuf.Reflection.FieldDescriptorProto.Types.Type;

namespace MoCo.Contracts.Tests;

/// <summary>The snapshot renderer and comparer on small synthetic surfaces.</summary>
public sealed class ContractSurfaceTests
{
    private const string Frozen = """
        # comment
        file t/v1/t.proto: package t.v1
        message t.v1.M: in t/v1/t.proto
        field t.v1.M#1: a string
        field t.v1.M#2: b repeated int32
        enum t.v1.E: in t/v1/t.proto
        value t.v1.E#0: E_UNSPECIFIED
        value t.v1.E#1: E_ONE
        service t.v1.S: in t/v1/t.proto
        rpc t.v1.S.Get: t.v1.GetRequest -> t.v1.GetResponse
        """;

    [Fact]
    public void IdenticalSurfacesHaveNoDifferences()
    {
        Assert.True(ContractSurface.Compare(Frozen, Frozen).IsSame);
    }

    [Fact]
    public void AdditionsAreAllowedAndListed()
    {
        var current = Frozen + """

            field t.v1.M#3: c bool
            value t.v1.E#2: E_TWO
            message t.v1.N: in t/v1/t.proto
            rpc t.v1.S.List: t.v1.ListRequest -> stream t.v1.ListResponse
            """;
        var diff = ContractSurface.Compare(Frozen, current);
        Assert.Empty(diff.Breaking);
        Assert.Equal(
            [
                "added: field t.v1.M#3: c bool",
                "added: value t.v1.E#2: E_TWO",
                "added: message t.v1.N: in t/v1/t.proto",
                "added: rpc t.v1.S.List: t.v1.ListRequest -> stream t.v1.ListResponse",
            ],
            diff.Additions);
    }

    [Fact]
    public void ARemovedFieldBreaks()
    {
        var diff = ContractSurface.Compare(Frozen, Without(Frozen, "field t.v1.M#2"));
        Assert.Equal(["removed: field t.v1.M#2: b repeated int32"], diff.Breaking);
        Assert.Empty(diff.Additions);
    }

    [Fact]
    public void ARenumberedFieldBreaks()
    {
        var diff = ContractSurface.Compare(Frozen, Frozen.Replace("field t.v1.M#1: a string", "field t.v1.M#3: a string", StringComparison.Ordinal));
        Assert.Equal(["removed: field t.v1.M#1: a string"], diff.Breaking);
        Assert.Equal(["added: field t.v1.M#3: a string"], diff.Additions);
    }

    [Theory]
    [InlineData("field t.v1.M#1: a string", "field t.v1.M#1: a bytes")]
    [InlineData("field t.v1.M#1: a string", "field t.v1.M#1: a repeated string")]
    [InlineData("field t.v1.M#1: a string", "field t.v1.M#1: renamed string")]
    [InlineData("field t.v1.M#1: a string", "field t.v1.M#1: a string oneof x")]
    [InlineData("value t.v1.E#1: E_ONE", "value t.v1.E#1: E_UNO")]
    [InlineData("rpc t.v1.S.Get: t.v1.GetRequest -> t.v1.GetResponse", "rpc t.v1.S.Get: t.v1.GetRequest -> stream t.v1.GetResponse")]
    [InlineData("message t.v1.M: in t/v1/t.proto", "message t.v1.M: in t/v1/other.proto")]
    public void AChangedElementBreaks(string before, string after)
    {
        var diff = ContractSurface.Compare(Frozen, Frozen.Replace(before, after, StringComparison.Ordinal));
        var key = before[..before.IndexOf(": ", StringComparison.Ordinal)];
        var line = Assert.Single(diff.Breaking);
        Assert.StartsWith($"changed: {key}: ", line, StringComparison.Ordinal);
        Assert.Empty(diff.Additions);
    }

    [Theory]
    [InlineData("value t.v1.E#1")]
    [InlineData("rpc t.v1.S.Get")]
    [InlineData("message t.v1.M")]
    [InlineData("service t.v1.S")]
    public void ARemovedElementBreaks(string key)
    {
        var diff = ContractSurface.Compare(Frozen, Without(Frozen, key));
        Assert.StartsWith($"removed: {key}", Assert.Single(diff.Breaking), StringComparison.Ordinal);
    }

    [Fact]
    public void ARepeatedElementIsRejected()
    {
        Assert.Throws<FormatException>(() => ContractSurface.Parse(Frozen + "\nfield t.v1.M#1: z string"));
    }

    [Fact]
    public void RenderListsFieldsMapsOneofsReservationsEnumsAndRpcs()
    {
        var rendered = ContractSurface.Render([SyntheticFile()]);
        Assert.Equal(
            """
            file t/v1/t.proto: package t.v1
            option t/v1/t.proto csharp_namespace: T.V1
            message t.v1.M: in t/v1/t.proto
            field t.v1.M#1: a string
            field t.v1.M#2: tags map<string, int32>
            field t.v1.M#3: pick int64 oneof choice
            field t.v1.M#4: items repeated t.v1.M
            reserved t.v1.M#5
            reserved t.v1.M#6
            reserved-name t.v1.M.gone
            enum t.v1.E: in t/v1/t.proto
            value t.v1.E#0: E_UNSPECIFIED
            value t.v1.E#1: E_ONE
            reserved t.v1.E#2
            service t.v1.S: in t/v1/t.proto
            rpc t.v1.S.Get: t.v1.M -> stream t.v1.M
            rpc t.v1.S.Put: stream t.v1.M -> t.v1.M

            """.ReplaceLineEndings("\n"),
            rendered[ContractSurface.Header.Length..]);
        Assert.StartsWith(ContractSurface.Header, rendered, StringComparison.Ordinal);
    }

    [Fact]
    public void RenderedFieldRemovalIsDetectedEndToEnd()
    {
        var before = ContractSurface.Render([SyntheticFile()]);
        var changed = SyntheticFile();
        changed.MessageType[0].Field.RemoveAt(0);
        var diff = ContractSurface.Compare(before, ContractSurface.Render([changed]));
        Assert.Equal(["removed: field t.v1.M#1: a string"], diff.Breaking);
    }

    private static string Without(string text, string keyPrefix) => string.Join('\n',
        text.ReplaceLineEndings("\n").Split('\n').Where(l => !l.StartsWith(keyPrefix + ":", StringComparison.Ordinal)));

    private static FileDescriptorProto SyntheticFile()
    {
        var entry = new DescriptorProto { Name = "TagsEntry", Options = new MessageOptions { MapEntry = true } };
        entry.Field.Add(Field("key", 1, ProtoType.String));
        entry.Field.Add(Field("value", 2, ProtoType.Int32));

        var message = new DescriptorProto { Name = "M" };
        message.NestedType.Add(entry);
        message.OneofDecl.Add(new OneofDescriptorProto { Name = "choice" });
        message.Field.Add(Field("a", 1, ProtoType.String));
        message.Field.Add(Field("tags", 2, ProtoType.Message, ".t.v1.M.TagsEntry", ProtoLabel.Repeated));
        var pick = Field("pick", 3, ProtoType.Int64);
        pick.OneofIndex = 0;
        message.Field.Add(pick);
        message.Field.Add(Field("items", 4, ProtoType.Message, ".t.v1.M", ProtoLabel.Repeated));
        message.ReservedRange.Add(new DescriptorProto.Types.ReservedRange { Start = 5, End = 7 });
        message.ReservedName.Add("gone");

        var enumType = new EnumDescriptorProto { Name = "E" };
        enumType.Value.Add(new EnumValueDescriptorProto { Name = "E_UNSPECIFIED", Number = 0 });
        enumType.Value.Add(new EnumValueDescriptorProto { Name = "E_ONE", Number = 1 });
        enumType.ReservedRange.Add(new EnumDescriptorProto.Types.EnumReservedRange { Start = 2, End = 2 });

        var service = new ServiceDescriptorProto { Name = "S" };
        service.Method.Add(new MethodDescriptorProto { Name = "Get", InputType = ".t.v1.M", OutputType = ".t.v1.M", ServerStreaming = true });
        service.Method.Add(new MethodDescriptorProto { Name = "Put", InputType = ".t.v1.M", OutputType = ".t.v1.M", ClientStreaming = true });

        var file = new FileDescriptorProto
        {
            Name = "t/v1/t.proto",
            Package = "t.v1",
            Syntax = "proto3",
            Options = new FileOptions { CsharpNamespace = "T.V1" },
        };
        file.MessageType.Add(message);
        file.EnumType.Add(enumType);
        file.Service.Add(service);
        return file;
    }

    private static FieldDescriptorProto Field(string name, int number, ProtoType type, string typeName = "", ProtoLabel label = ProtoLabel.Optional)
    {
        var field = new FieldDescriptorProto { Name = name, Number = number, Type = type, Label = label };
        if (typeName.Length > 0)
        {
            field.TypeName = typeName;
        }
        return field;
    }
}
