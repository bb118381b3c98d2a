using System.Text.RegularExpressions;

namespace MoCo.Contracts.Tests;

/// <summary>
/// Rules on the .proto sources (contracts.md §0): proto3 without the `optional` label and without
/// editions, a versioning header, and a `//` comment directly above every declaration.
/// </summary>
public sealed partial class ProtoSourceTests
{
    public static TheoryData<string> ProtoFiles()
    {
        var data = new TheoryData<string>();
        foreach (var path in Directory.GetFiles(Contracts.ProtoDirectory, "*.proto").Order(StringComparer.Ordinal))
        {
            data.Add(Path.GetFileName(path));
        }
        return data;
    }

    [Fact]
    public void EverySourceFileIsCompiledIntoTheContracts()
    {
        var sources = Directory.GetFiles(Contracts.ProtoDirectory, "*.proto").Select(p => "moco/v1/" + Path.GetFileName(p));
        Assert.Equal(sources.Order(StringComparer.Ordinal), Contracts.Files.Select(f => f.Name).Order(StringComparer.Ordinal));
    }

    [Theory]
    [MemberData(nameof(ProtoFiles))]
    public void FileIsPlainProto3(string fileName)
    {
        var lines = ReadLines(fileName);
        Assert.Contains("syntax = \"proto3\";", lines);
        Assert.Contains("package moco.v1;", lines);
        Assert.Contains("option csharp_namespace = \"MoCo.Contracts.V1\";", lines);
        Assert.DoesNotContain(lines, l => EditionStatement().IsMatch(l));
        var optionalLabels = lines.Select((l, i) => (Line: i + 1, Text: l)).Where(l => OptionalLabel().IsMatch(l.Text)).ToList();
        Assert.True(optionalLabels.Count == 0,
            $"{fileName}: the `optional` label is not allowed (use a google.protobuf wrapper): " +
            string.Join(", ", optionalLabels.Select(l => $"line {l.Line}")));
    }

    [Theory]
    [MemberData(nameof(ProtoFiles))]
    public void FileHeaderStatesTheVersioningRule(string fileName)
    {
        var header = string.Join('\n', ReadLines(fileName).TakeWhile(l => l.StartsWith("//", StringComparison.Ordinal)));
        Assert.Contains("contracts.md §11", header, StringComparison.Ordinal);
        Assert.Contains("v1 only grows", header, StringComparison.Ordinal);
        Assert.Contains("reserved", header, StringComparison.Ordinal);
        Assert.Contains("moco.v2", header, StringComparison.Ordinal);
    }

    [Theory]
    [MemberData(nameof(ProtoFiles))]
    public void EveryDeclarationHasACommentDirectlyAbove(string fileName)
    {
        var lines = ReadLines(fileName);
        var uncommented = new List<string>();
        var declarations = 0;
        for (var i = 0; i < lines.Count; i++)
        {
            var text = lines[i].Trim();
            if (!IsDeclaration(text))
            {
                continue;
            }
            declarations++;
            if (i == 0 || !lines[i - 1].TrimStart().StartsWith("//", StringComparison.Ordinal))
            {
                uncommented.Add($"line {i + 1}: {text}");
            }
        }
        Assert.True(declarations > 0, $"{fileName}: no declarations found");
        Assert.True(uncommented.Count == 0,
            $"{fileName}: {uncommented.Count} declaration(s) without a `//` comment directly above:\n  " + string.Join("\n  ", uncommented));
    }

    [Theory]
    [InlineData("message Foo {", true)]
    [InlineData("enum Bar {", true)]
    [InlineData("service BazService {", true)]
    [InlineData("oneof payload {", true)]
    [InlineData("rpc Get(GetRequest) returns (stream GetResponse);", true)]
    [InlineData("repeated int32 ids = 1;", true)]
    [InlineData("google.protobuf.BoolValue add_generation_prompt = 3;", true)]
    [InlineData("map<string, int32> flag_counts = 9;", true)]
    [InlineData("COMPAT_MOCO = 1;", true)]
    [InlineData("reserved 4, 5;", true)]
    [InlineData("// a comment", false)]
    [InlineData("}", false)]
    [InlineData("syntax = \"proto3\";", false)]
    [InlineData("option csharp_namespace = \"MoCo.Contracts.V1\";", false)]
    [InlineData("import \"moco/v1/common.proto\";", false)]
    public void DeclarationsAreRecognised(string line, bool expected)
    {
        Assert.Equal(expected, IsDeclaration(line));
    }

    [Theory]
    [InlineData("  optional int32 x = 1;", true)]
    [InlineData("optional string name = 2;", true)]
    [InlineData("  // optional fields use wrappers", false)]
    [InlineData("  string optional_note = 2;", false)]
    public void OptionalLabelsAreRecognised(string line, bool expected)
    {
        Assert.Equal(expected, OptionalLabel().IsMatch(line));
    }

    private static bool IsDeclaration(string text) =>
        !text.StartsWith("//", StringComparison.Ordinal) &&
        (TypeDeclaration().IsMatch(text) || RpcDeclaration().IsMatch(text) || FieldDeclaration().IsMatch(text) ||
         EnumValueDeclaration().IsMatch(text) || ReservedDeclaration().IsMatch(text));

    private static List<string> ReadLines(string fileName) =>
        File.ReadAllText(Path.Combine(Contracts.ProtoDirectory, fileName)).ReplaceLineEndings("\n").Split('\n').ToList();

    [GeneratedRegex(@"^(message|enum|service|oneof)\s+\w+\s*\{")]
    private static partial Regex TypeDeclaration();

    [GeneratedRegex(@"^rpc\s+\w+\s*\(")]
    private static partial Regex RpcDeclaration();

    [GeneratedRegex(@"^(repeated\s+)?(map\s*<[^>]+>|[\w.]+)\s+\w+\s*=\s*\d+\s*(\[.*\])?\s*;")]
    private static partial Regex FieldDeclaration();

    [GeneratedRegex(@"^[A-Z][A-Z0-9_]*\s*=\s*-?\d+\s*(\[.*\])?\s*;")]
    private static partial Regex EnumValueDeclaration();

    [GeneratedRegex(@"^reserved\s")]
    private static partial Regex ReservedDeclaration();

    [GeneratedRegex(@"^\s*optional\s")]
    private static partial Regex OptionalLabel();

    [GeneratedRegex(@"^\s*(edition\s*=|syntax\s*=\s*""editions"")")]
    private static partial Regex EditionStatement();
}
