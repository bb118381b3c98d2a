using System.Buffers.Binary;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using MoCo.Native.Training;
using NativeExample = MoCo.Native.Training.TrainExample;

namespace MoCo.Inference.Training;

/// <summary>
/// What a job keeps to continue after a cancellation or a crash of the service: the folder <c>.resume-{output id}</c>
/// in the trained-models folder holds <c>job.sha256</c> (the fingerprint of the job: settings, base model, examples)
/// and <c>state-{step}.safetensors</c> (the trainer's state after that many optimizer steps, moco_trainer_save_state).
/// The same job submitted again (the orchestrator resubmits a run's jobs under the same content-addressed output id)
/// loads the newest state and continues with the next step, bit for bit what the uninterrupted job would have done;
/// a different job under that id starts over. The folder goes when the trained model is published.
/// </summary>
public sealed class TrainResume
{
    private const string FingerprintFile = "job.sha256";
    private const string StatePrefix = "state-";
    private const string StateSuffix = ".safetensors";

    /// <summary>The resume folder of output id <paramref name="outputId"/> under <paramref name="outputRoot"/>, for the
    /// job whose <see cref="Fingerprint"/> is <paramref name="fingerprint"/>.</summary>
    public TrainResume(string outputRoot, string outputId, string fingerprint)
    {
        Directory = Path.Combine(outputRoot, ".resume-" + outputId);
        JobFingerprint = fingerprint;
    }

    /// <summary>The folder.</summary>
    public string Directory { get; }

    /// <summary>The job's fingerprint.</summary>
    public string JobFingerprint { get; }

    /// <summary>Loads the newest state of this job into <paramref name="trainer"/> (fresh) and returns its step count;
    /// 0 when there is none. A folder of another job, or one whose state the trainer refuses, is deleted.</summary>
    public int TryLoad(MocoTrainer trainer)
    {
        ArgumentNullException.ThrowIfNull(trainer);
        if (!System.IO.Directory.Exists(Directory))
        {
            return 0;
        }
        var fingerprint = Path.Combine(Directory, FingerprintFile);
        var newest = States().OrderByDescending(s => s.Step).FirstOrDefault();
        if (!File.Exists(fingerprint) || File.ReadAllText(fingerprint) != JobFingerprint || newest.Path is null)
        {
            Delete();
            return 0;
        }
        try
        {
            trainer.LoadState(newest.Path);
        }
        catch (MoCo.Native.MocoException)
        {
            // Written by an older libmoco or damaged: the job starts over rather than failing.
            Delete();
            return 0;
        }
        return newest.Step;
    }

    /// <summary>Saves <paramref name="trainer"/>'s state after <paramref name="step"/> optimizer steps and drops the
    /// older ones. The state file appears whole or not at all (libmoco writes it aside and renames it).</summary>
    public void Save(MocoTrainer trainer, int step)
    {
        ArgumentNullException.ThrowIfNull(trainer);
        System.IO.Directory.CreateDirectory(Directory);
        var fingerprint = Path.Combine(Directory, FingerprintFile);
        if (!File.Exists(fingerprint))
        {
            var staged = fingerprint + ".tmp";
            File.WriteAllText(staged, JobFingerprint);
            File.Move(staged, fingerprint, overwrite: true);
        }
        trainer.SaveState(Path.Combine(Directory, StatePrefix + step.ToString(CultureInfo.InvariantCulture) + StateSuffix));
        foreach (var (path, older) in States())
        {
            if (older < step)
            {
                File.Delete(path);
            }
        }
    }

    /// <summary>Removes the folder (the job finished, or its states are of no use).</summary>
    public void Delete()
    {
        if (System.IO.Directory.Exists(Directory))
        {
            System.IO.Directory.Delete(Directory, recursive: true);
        }
    }

    /// <summary>SHA-256 (hex) of everything that decides a job's steps: its settings, the base model (id and folder),
    /// the policy-gradient temperature and every example, in order.</summary>
    public static string Fingerprint(TrainSettings settings, IReadOnlyList<NativeExample[]> units, float rolloutTemperature)
    {
        ArgumentNullException.ThrowIfNull(settings);
        ArgumentNullException.ThrowIfNull(units);
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var described = JsonSerializer.Serialize(new
        {
            Kind = settings.Kind.ToString(),
            Base = settings.Base.Id,
            Directory = settings.Base.Base.Resolution.Directory,
            settings.Lora,
            settings.Hyper,
            GroupSize = settings.Rollouts?.GroupSize,
            Sampling = settings.Rollouts?.Sampling.ToString(),
            settings.AddToken,
            RolloutTemperature = rolloutTemperature,
        });
        hash.AppendData(Encoding.UTF8.GetBytes(described));
        var number = new byte[4];
        void Int(int value)
        {
            BinaryPrimitives.WriteInt32LittleEndian(number, value);
            hash.AppendData(number);
        }
        void Float(float value) => Int(BitConverter.SingleToInt32Bits(value));
        Int(units.Count);
        foreach (var unit in units)
        {
            Int(unit.Length);
            foreach (var example in unit)
            {
                Int(example.Tokens.Length);
                foreach (var token in example.Tokens.Span)
                {
                    Int(token);
                }
                Int(example.TargetMask.Length);
                hash.AppendData(example.TargetMask.Span);
                Float(example.Reward);
                Int(example.Group);
                Int(example.MentorLogprobs.Length);
                foreach (var logprob in example.MentorLogprobs.Span)
                {
                    Float(logprob);
                }
            }
        }
        return Convert.ToHexStringLower(hash.GetHashAndReset());
    }

    // The state files of the folder with the step each was saved after.
    private List<(string Path, int Step)> States()
    {
        var states = new List<(string Path, int Step)>();
        foreach (var path in System.IO.Directory.EnumerateFiles(Directory, StatePrefix + "*" + StateSuffix))
        {
            var name = Path.GetFileName(path);
            var digits = name.AsSpan(StatePrefix.Length, name.Length - StatePrefix.Length - StateSuffix.Length);
            if (int.TryParse(digits, NumberStyles.None, CultureInfo.InvariantCulture, out var step))
            {
                states.Add((path, step));
            }
        }
        return states;
    }
}
