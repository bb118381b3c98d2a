using System.Globalization;
using System.Text;
using Google.Protobuf.Reflection;
using FileOptions = Google.Protobuf.Reflection.FileOptions;

namespace MoCo.Contracts.Tests;

/// <summary>
/// The contract surface of a set of proto files as deterministic text lines, and the comparison of a
/// frozen surface with a current one (contracts.md §11). A line is <c>kind element: properties</c>;
/// the part before the first <c>": "</c> is the line's key. Fields and enum values are keyed by
/// number, so a renamed, retyped or relabelled element keeps its key and shows as changed, while a
/// renumbered one shows as removed. The frozen surface must be contained in the current one: any
/// frozen key that is missing or whose properties differ breaks v1; keys only in the current surface
/// are additions.
/// </summary>
public static class ContractSurface
{
    /// <summary>Comment lines at the top of a rendered snapshot.</summary>
    public const string Header =
        "# MoCo.NET v1 contract surface, frozen (contracts.md §11). Generated from the compiled descriptors\n" +
        "# by tests/MoCo.Contracts.Tests; do not edit by hand. The tests fail when an element listed here is\n" +
        "# missing or different in the contracts (v1 only grows) and when the contracts have additions not\n" +
        "# recorded here. Record intended additions with:\n" +
        "#   MOCO_UPDATE_FROZEN=1 dotnet test tests/MoCo.Contracts.Tests/MoCo.Contracts.Tests.csproj\n" +
        "# Line format: `kind element: properties`; fields and enum values are keyed by number.\n";

    private const string KeySeparator = ": ";

    /// <summary>Renders compiled files (e.g. the generated <c>*Reflection.Descriptor</c>s).</summary>
    public static string Render(IEnumerable<FileDescriptor> files) => Render(files.Select(f => f.ToProto()));

    /// <summary>Renders file descriptor protos: files in name order, elements in declaration order.</summary>
    public static string Render(IEnumerable<FileDescriptorProto> files)
    {
        var text = new StringBuilder(Header);
        foreach (var file in files.OrderBy(f => f.Name, StringComparer.Ordinal))
        {
            foreach (var line in RenderFile(file))
            {
                text.Append(line).Append('\n');
            }
        }
        return text.ToString();
    }

    /// <summary>
    /// Parses snapshot text into its lines in order, keyed. Blank lines and lines starting with '#' are
    /// skipped; a repeated key is a <see cref="FormatException"/>.
    /// </summary>
    public static IReadOnlyList<KeyValuePair<string, string>> Parse(string text)
    {
        var entries = new List<KeyValuePair<string, string>>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var lineNumber = 0;
        foreach (var raw in text.Replace("\r\n", "\n", StringComparison.Ordinal).Split('\n'))
        {
            lineNumber++;
            var line = raw.TrimEnd();
            if (line.Length == 0 || line.StartsWith('#'))
            {
                continue;
            }
            var separator = line.IndexOf(KeySeparator, StringComparison.Ordinal);
            var key = separator < 0 ? line : line[..separator];
            var value = separator < 0 ? "" : line[(separator + KeySeparator.Length)..];
            if (!seen.Add(key))
            {
                throw new FormatException($"line {lineNumber}: element '{key}' appears twice");
            }
            entries.Add(new KeyValuePair<string, string>(key, value));
        }
        return entries;
    }

    /// <summary>Compares a frozen snapshot with the current one.</summary>
    public static SurfaceDiff Compare(string frozenText, string currentText)
    {
        var frozen = Parse(frozenText);
        var current = Parse(currentText);
        var currentByKey = current.ToDictionary(e => e.Key, e => e.Value, StringComparer.Ordinal);
        var frozenKeys = new HashSet<string>(frozen.Select(e => e.Key), StringComparer.Ordinal);

        var breaking = new List<string>();
        foreach (var (key, value) in frozen)
        {
            if (!currentByKey.TryGetValue(key, out var now))
            {
                breaking.Add($"removed: {Line(key, value)}");
            }
            else if (!string.Equals(now, value, StringComparison.Ordinal))
            {
                breaking.Add($"changed: {key}: was '{value}', now '{now}'");
            }
        }
        var additions = current
            .Where(e => !frozenKeys.Contains(e.Key))
            .Select(e => $"added: {Line(e.Key, e.Value)}")
            .ToList();
        return new SurfaceDiff(breaking, additions);
    }

    private static string Line(string key, string value) => value.Length == 0 ? key : key + KeySeparator + value;

    private static IEnumerable<string> RenderFile(FileDescriptorProto file)
    {
        yield return $"file {file.Name}: package {file.Package}";
        foreach (var option in RenderFileOptions(file))
        {
            yield return option;
        }
        var scope = file.Package.Length == 0 ? "" : file.Package + ".";
        foreach (var message in file.MessageType)
        {
            foreach (var line in RenderMessage(message, scope, file.Name))
            {
                yield return line;
            }
        }
        foreach (var enumType in file.EnumType)
        {
            foreach (var line in RenderEnum(enumType, scope, file.Name))
            {
                yield return line;
            }
        }
        foreach (var service in file.Service)
        {
            var serviceName = scope + service.Name;
            yield return $"service {serviceName}: in {file.Name}";
            foreach (var method in service.Method)
            {
                var input = (method.ClientStreaming ? "stream " : "") + method.InputType.TrimStart('.');
                var output = (method.ServerStreaming ? "stream " : "") + method.OutputType.TrimStart('.');
                yield return $"rpc {serviceName}.{method.Name}: {input} -> {output}";
            }
        }
    }

    private static IEnumerable<string> RenderFileOptions(FileDescriptorProto file)
    {
        if (file.Options is null)
        {
            yield break;
        }
        foreach (var field in FileOptions.Descriptor.Fields.InFieldNumberOrder())
        {
            if (field.IsRepeated || field.FieldType == FieldType.Message || !field.Accessor.HasValue(file.Options))
            {
                continue;
            }
            yield return $"option {file.Name} {field.Name}: {FormatOptionValue(field.Accessor.GetValue(file.Options))}";
        }
    }

    private static string FormatOptionValue(object value) => value switch
    {
        bool b => b ? "true" : "false",
        IFormattable f => f.ToString(null, CultureInfo.InvariantCulture),
        _ => value.ToString() ?? "",
    };

    private static IEnumerable<string> RenderMessage(DescriptorProto message, string scope, string fileName)
    {
        var fullName = scope + message.Name;
        yield return $"message {fullName}: in {fileName}";
        var mapEntries = message.NestedType
            .Where(n => n.Options?.MapEntry == true)
            .ToDictionary(n => fullName + "." + n.Name, StringComparer.Ordinal);
        foreach (var field in message.Field.OrderBy(f => f.Number))
        {
            var properties = new StringBuilder(field.Name).Append(' ');
            if (mapEntries.TryGetValue(field.TypeName.TrimStart('.'), out var entry))
            {
                var key = entry.Field.Single(f => f.Number == 1);
                var value = entry.Field.Single(f => f.Number == 2);
                properties.Append("map<").Append(TypeName(key)).Append(", ").Append(TypeName(value)).Append('>');
            }
            else
            {
                if (field.Label == FieldDescriptorProto.Types.Label.Repeated)
                {
                    properties.Append("repeated ");
                }
                else if (field.Proto3Optional)
                {
                    properties.Append("optional ");
                }
                else if (field.Label == FieldDescriptorProto.Types.Label.Required)
                {
                    properties.Append("required ");
                }
                properties.Append(TypeName(field));
            }
            if (field.HasOneofIndex && !field.Proto3Optional)
            {
                properties.Append(" oneof ").Append(message.OneofDecl[field.OneofIndex].Name);
            }
            yield return $"field {fullName}#{field.Number.ToString(CultureInfo.InvariantCulture)}: {properties}";
        }
        foreach (var range in message.ReservedRange)
        {
            // Message reserved ranges are end-exclusive.
            foreach (var line in RenderReservedNumbers(fullName, range.Start, range.End - 1))
            {
                yield return line;
            }
        }
        foreach (var name in message.ReservedName)
        {
            yield return $"reserved-name {fullName}.{name}";
        }
        foreach (var nested in message.EnumType)
        {
            foreach (var line in RenderEnum(nested, fullName + ".", fileName))
            {
                yield return line;
            }
        }
        foreach (var nested in message.NestedType.Where(n => n.Options?.MapEntry != true))
        {
            foreach (var line in RenderMessage(nested, fullName + ".", fileName))
            {
                yield return line;
            }
        }
    }

    private static IEnumerable<string> RenderEnum(EnumDescriptorProto enumType, string scope, string fileName)
    {
        var fullName = scope + enumType.Name;
        yield return $"enum {fullName}: in {fileName}";
        foreach (var value in enumType.Value.OrderBy(v => v.Number))
        {
            yield return $"value {fullName}#{value.Number.ToString(CultureInfo.InvariantCulture)}: {value.Name}";
        }
        foreach (var range in enumType.ReservedRange)
        {
            // Enum reserved ranges are end-inclusive.
            foreach (var line in RenderReservedNumbers(fullName, range.Start, range.End))
            {
                yield return line;
            }
        }
        foreach (var name in enumType.ReservedName)
        {
            yield return $"reserved-name {fullName}.{name}";
        }
    }

    private static IEnumerable<string> RenderReservedNumbers(string fullName, int first, int last)
    {
        // Small ranges are listed number by number, so that widening a reservation is an addition;
        // a huge range (e.g. `to max`) is one element.
        const int ListedLimit = 1000;
        if ((long)last - first >= ListedLimit)
        {
            yield return FormattableString.Invariant($"reserved {fullName}#{first}-{last}");
            yield break;
        }
        for (var number = first; number <= last; number++)
        {
            yield return FormattableString.Invariant($"reserved {fullName}#{number}");
        }
    }

    private static string TypeName(FieldDescriptorProto field) => field.Type switch
    {
        FieldDescriptorProto.Types.Type.Double => "double",
        FieldDescriptorProto.Types.Type.Float => "float",
        FieldDescriptorProto.Types.Type.Int64 => "int64",
        FieldDescriptorProto.Types.Type.Uint64 => "uint64",
        FieldDescriptorProto.Types.Type.Int32 => "int32",
        FieldDescriptorProto.Types.Type.Fixed64 => "fixed64",
        FieldDescriptorProto.Types.Type.Fixed32 => "fixed32",
        FieldDescriptorProto.Types.Type.Bool => "bool",
        FieldDescriptorProto.Types.Type.String => "string",
        FieldDescriptorProto.Types.Type.Bytes => "bytes",
        FieldDescriptorProto.Types.Type.Uint32 => "uint32",
        FieldDescriptorProto.Types.Type.Sfixed32 => "sfixed32",
        FieldDescriptorProto.Types.Type.Sfixed64 => "sfixed64",
        FieldDescriptorProto.Types.Type.Sint32 => "sint32",
        FieldDescriptorProto.Types.Type.Sint64 => "sint64",
        FieldDescriptorProto.Types.Type.Message or FieldDescriptorProto.Types.Type.Enum or FieldDescriptorProto.Types.Type.Group
            => field.TypeName.TrimStart('.'),
        _ => throw new ArgumentOutOfRangeException(nameof(field), field.Type, "unknown field type"),
    };
}

/// <summary>Result of <see cref="ContractSurface.Compare"/>.</summary>
/// <param name="Breaking">Frozen elements removed or changed, one line each.</param>
/// <param name="Additions">Elements not in the frozen surface, one line each.</param>
public sealed record SurfaceDiff(IReadOnlyList<string> Breaking, IReadOnlyList<string> Additions)
{
    /// <summary>True when the two surfaces hold the same elements.</summary>
    public bool IsSame => Breaking.Count == 0 && Additions.Count == 0;
}
