using MoCo.Models.Tokenization;
using MoCo.Zoo.Checkpoints;
using MoCo.Zoo.Tokenizer;

namespace MoCo.Zoo.Tests;

public sealed class ByteLevelBpeTrainerTests
{
    private static readonly string[] Corpus =
    [
        "the cat sat on the mat", "the cat ate the rat", "What is 347 + 58?", "def add_7(x):\n    return x + 7",
        "Sorry, café ☕ is closed", "the theme of the thesis",
    ];

    [Fact]
    public void Training_is_deterministic_and_merges_the_most_frequent_pair_first()
    {
        var a = ByteLevelBpeTrainer.Train(Corpus, 270, CheckpointWriter.SpecialTokens);
        var b = ByteLevelBpeTrainer.Train(Corpus, 270, CheckpointWriter.SpecialTokens);
        Assert.Equal(a.Tokens, b.Tokens);
        Assert.Equal(a.Merges, b.Merges);
        // "th" and "he" tie as the commonest pairs (8 each, every "the"); the ordinally smaller goes first.
        Assert.Equal(("h", "e"), a.Merges[0]);
        Assert.Equal(270, a.Size);
        Assert.Equal(265, a.SpecialId(CheckpointWriter.EndToken));
        // A budget larger than the corpus supports stops once no pair occurs twice.
        Assert.Equal(273, ByteLevelBpeTrainer.Train(Corpus, 1000, CheckpointWriter.SpecialTokens).Size);
    }

    [Fact]
    public void The_written_tokenizer_loads_round_trips_and_keeps_digits_and_special_tokens_whole()
    {
        var vocabulary = ByteLevelBpeTrainer.Train(Corpus, 300, CheckpointWriter.SpecialTokens);
        var directory = Directory.CreateTempSubdirectory("zoo-tok-");
        try
        {
            CheckpointWriter.WriteTokenizerFiles(directory.FullName, vocabulary);
            var tokenizer = HfTokenizer.FromDirectory(directory.FullName);
            foreach (var text in Corpus)
            {
                Assert.Equal(text, tokenizer.Decode(tokenizer.Encode(text, addSpecialTokens: false)));
            }
            var ids = tokenizer.Encode("347<|end|>", addSpecialTokens: false);
            Assert.Equal(4, ids.Length);
            Assert.Equal(vocabulary.SpecialId(CheckpointWriter.EndToken), ids[3]);
            Assert.Equal("3", tokenizer.Decode(ids[..1]));
        }
        finally
        {
            directory.Delete(recursive: true);
        }
    }
}
