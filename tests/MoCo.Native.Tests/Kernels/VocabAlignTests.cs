using System.Text;
using MoCo.Native.Kernels;

namespace MoCo.Native.Tests.Kernels;

public class VocabAlignTests
{
    [Fact]
    public void TheCommonVocabularyIsTheSmallestAgreeingHead()
    {
        var small = Vocab("a", ["<pad>", "<s>", "</s>", "x", "y"], headRows: 5);
        var large = Vocab("b", ["<pad>", "<s>", "</s>", "x", "y", "z"], headRows: 8);
        Assert.Equal(5, VocabAlign.CommonVocab([small, large], VocabAlignment.MinCommon));

        var e = Assert.Throws<MocoException>(() => VocabAlign.CommonVocab([small, large], VocabAlignment.Exact));
        Assert.Equal(MocoStatus.InvalidArgument, e.Status);

        var different = Vocab("c", ["<pad>", "<s>", "</s>", "x", "q"], headRows: 5);
        e = Assert.Throws<MocoException>(() => VocabAlign.CommonVocab([small, different], VocabAlignment.MinCommon));
        Assert.Contains("\"a\"", e.Message.Replace("'", "\"", StringComparison.Ordinal), StringComparison.Ordinal);
        Assert.Contains("4", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void OffsetsBeyondTheBytesFailInCSharp()
    {
        var bad = new ModelVocab("a", 2, "ab"u8.ToArray(), new long[] { 0, 1, 3 }, 0);
        Assert.Equal("vocabs", Assert.Throws<ArgumentException>(() => VocabAlign.CommonVocab([bad], VocabAlignment.MinCommon)).ParamName);
        var decreasing = new ModelVocab("a", 2, "ab"u8.ToArray(), new long[] { 0, 2, 1 }, 0);
        Assert.Equal("vocabs", Assert.Throws<ArgumentException>(() => VocabAlign.CommonVocab([decreasing], VocabAlignment.MinCommon)).ParamName);
    }

    private static ModelVocab Vocab(string name, string[] tokens, int headRows)
    {
        var offsets = new long[tokens.Length + 1];
        var bytes = new List<byte>();
        for (var i = 0; i < tokens.Length; i++)
        {
            bytes.AddRange(Encoding.UTF8.GetBytes(tokens[i]));
            offsets[i + 1] = bytes.Count;
        }

        return new ModelVocab(name, headRows, bytes.ToArray(), offsets, EosId: 2);
    }
}
