using System.Text.RegularExpressions;
using Google.Protobuf;
using MoCo.Contracts.V1;

namespace MoCo.Router.Training;

/// <summary>
/// The Train jobs behind the models a router service trained, kept on disk beside the stored routers (folder
/// <c>rebuilds</c> of the router store): one file per trained model id holding its TrainJob and then its examples, each
/// a length-delimited protobuf message. A restarted router registers them again (contracts.md §9 rebuilds), so a Route
/// or Complete whose trained model went with its replica has it trained again on another, as the process that fitted
/// it would have - the registrations no longer end with the process. Routers sharing a store share the journal.
/// </summary>
public sealed partial class TrainJournal
{
    private const string Suffix = ".train.pb";
    private readonly string _directory;

    /// <summary>The journal under the router store folder <paramref name="storeDirectory"/>.</summary>
    public TrainJournal(string storeDirectory)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(storeDirectory);
        _directory = Path.Combine(storeDirectory, "rebuilds");
    }

    /// <summary>Keeps the job that made <paramref name="modelId"/>; the file appears whole (written aside, then renamed),
    /// and a model id that is not a plain file name is not kept.</summary>
    public void Save(string modelId, TrainJob job, IReadOnlyList<TrainExample> examples)
    {
        ArgumentNullException.ThrowIfNull(job);
        ArgumentNullException.ThrowIfNull(examples);
        if (!PlainId().IsMatch(modelId))
        {
            return;
        }
        Directory.CreateDirectory(_directory);
        var path = Path.Combine(_directory, modelId + Suffix);
        var staged = path + "." + Guid.NewGuid().ToString("N")[..8] + ".tmp";
        using (var file = File.Create(staged))
        {
            job.WriteDelimitedTo(file);
            foreach (var example in examples)
            {
                example.WriteDelimitedTo(file);
            }
        }
        File.Move(staged, path, overwrite: true);
    }

    /// <summary>The model ids the journal holds jobs for.</summary>
    public IReadOnlyList<string> Models() => Directory.Exists(_directory)
        ? [.. Directory.EnumerateFiles(_directory, "*" + Suffix).Select(p => Path.GetFileName(p)[..^Suffix.Length]).Order(StringComparer.Ordinal)]
        : [];

    /// <summary>The job and examples that made <paramref name="modelId"/>.</summary>
    /// <exception cref="FileNotFoundException">The journal holds no job for it.</exception>
    /// <exception cref="InvalidProtocolBufferException">The file is damaged.</exception>
    public (TrainJob Job, IReadOnlyList<TrainExample> Examples) Load(string modelId)
    {
        using var file = File.OpenRead(Path.Combine(_directory, modelId + Suffix));
        var job = TrainJob.Parser.ParseDelimitedFrom(file);
        var examples = new List<TrainExample>();
        while (file.Position < file.Length)
        {
            examples.Add(TrainExample.Parser.ParseDelimitedFrom(file));
        }
        return (job, examples);
    }

    [GeneratedRegex("^[A-Za-z0-9][A-Za-z0-9._-]*$")]
    private static partial Regex PlainId();
}
