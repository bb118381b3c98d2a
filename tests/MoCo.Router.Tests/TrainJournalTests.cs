using MoCo.Contracts.V1;
using MoCo.Router.Training;

namespace MoCo.Router.Tests;

/// <summary>The journal a restarted router registers its rebuilds from (<see cref="TrainJournal"/>): a job comes back as it
/// was saved, a later save of the same model replaces it, and an id that is not a plain file name is never written.</summary>
public sealed class TrainJournalTests : IDisposable
{
    private readonly string _store = Directory.CreateTempSubdirectory("moco-journal-").FullName;

    public void Dispose() => Directory.Delete(_store, recursive: true);

    private static (TrainJob Job, List<TrainExample> Examples) Job(string output, int examples)
    {
        var job = LoraJobs.Create(TrainKind.Sft, TrainingSettings.ChooserSft);
        job.BaseModel = "zoo/base";
        job.OutputId = output;
        job.CallKey = "key-" + output;
        var list = Enumerable.Range(0, examples).Select(i => new TrainExample
        {
            Prompt = new Prompt { Text = $"prompt {i} ünïcode" },
            Completion = new Continuation { Text = $"Model {i % 3 + 1}" },
        }).ToList();
        return (job, list);
    }

    [Fact]
    public void A_saved_job_loads_as_it_was_and_a_later_save_replaces_it()
    {
        var journal = new TrainJournal(_store);
        Assert.Empty(journal.Models());
        var (job, examples) = Job("trained-abc", 3);
        journal.Save("trained-abc", job, examples);
        var (other, otherExamples) = Job("trained-def", 0);
        journal.Save("trained-def", other, otherExamples);

        Assert.Equal(["trained-abc", "trained-def"], journal.Models());
        var (loaded, loadedExamples) = new TrainJournal(_store).Load("trained-abc");
        Assert.Equal(job, loaded);
        Assert.Equal(examples, loadedExamples);
        Assert.Empty(journal.Load("trained-def").Examples);

        var (again, more) = Job("trained-abc", 5);
        journal.Save("trained-abc", again, more);
        Assert.Equal(5, journal.Load("trained-abc").Examples.Count);
        Assert.Equal(2, Directory.GetFiles(Path.Combine(_store, "rebuilds")).Length);
    }

    [Theory]
    [InlineData("../escape")]
    [InlineData("a/b")]
    [InlineData("")]
    [InlineData(".hidden")]
    public void An_id_that_is_not_a_plain_file_name_is_not_kept(string id)
    {
        var journal = new TrainJournal(_store);
        var (job, examples) = Job("x", 1);
        journal.Save(id, job, examples);
        Assert.Empty(journal.Models());
        Assert.False(Directory.Exists(Path.Combine(_store, "rebuilds")) && Directory.EnumerateFileSystemEntries(Path.Combine(_store, "rebuilds")).Any());
    }
}
