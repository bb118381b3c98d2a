using Google.Protobuf.Reflection;
using MoCo.Contracts.V1;

namespace MoCo.Contracts.Tests;

/// <summary>The compiled v1 contracts and where their sources live in the repository.</summary>
internal static class Contracts
{
    /// <summary>Every compiled moco/v1 file, in file-name order.</summary>
    public static IReadOnlyList<FileDescriptor> Files { get; } =
    [
        CommonReflection.Descriptor,
        EvaluatorReflection.Descriptor,
        InferenceReflection.Descriptor,
        OrchestratorReflection.Descriptor,
        RouterReflection.Descriptor,
        SandboxReflection.Descriptor,
    ];

    /// <summary>protos/moco/v1 in the source tree the tests were built from.</summary>
    public static string ProtoDirectory { get; } = FindProtoDirectory();

    /// <summary>The committed frozen snapshot of the v1 surface.</summary>
    public static string FrozenSnapshotPath => Path.Combine(ProtoDirectory, "frozen-v1.txt");

    /// <summary>Every message of the contracts, nested ones included, map entries excluded.</summary>
    public static IEnumerable<MessageDescriptor> AllMessages() =>
        Files.SelectMany(f => f.MessageTypes).SelectMany(WithNested);

    /// <summary>Every enum of the contracts, nested ones included.</summary>
    public static IEnumerable<EnumDescriptor> AllEnums() =>
        Files.SelectMany(f => f.EnumTypes).Concat(AllMessages().SelectMany(m => m.EnumTypes));

    private static IEnumerable<MessageDescriptor> WithNested(MessageDescriptor message) =>
        new[] { message }.Concat(message.NestedTypes.Where(n => !n.IsMapEntry()).SelectMany(WithNested));

    private static bool IsMapEntry(this MessageDescriptor message) => message.GetOptions()?.MapEntry == true;

    private static string FindProtoDirectory()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var candidate = Path.Combine(dir.FullName, "protos", "moco", "v1");
            if (File.Exists(Path.Combine(candidate, "common.proto")))
            {
                return candidate;
            }
        }
        throw new DirectoryNotFoundException(
            $"protos/moco/v1 not found above {AppContext.BaseDirectory}; run the tests from a source checkout");
    }
}
