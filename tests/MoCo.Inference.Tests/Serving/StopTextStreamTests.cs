using MoCo.Inference.Scheduling;

namespace MoCo.Inference.Tests.Serving;

public sealed class StopTextStreamTests
{
    [Fact]
    public void Text_that_may_start_a_stop_string_is_held_until_it_cannot()
    {
        var stream = new StopTextStream(["</end>", "##"], includeStop: false);
        Assert.Equal("abc", stream.Append("abc<"));
        Assert.Equal("", stream.Append("/e"));
        Assert.Equal("</ex", stream.Append("x#"));
        Assert.Equal("", stream.Append("#tail"));
        Assert.Equal("##", stream.Match);
        Assert.Equal("abc</ex", stream.Text);
        Assert.Equal("", stream.Finish());
    }

    [Fact]
    public void Include_stop_keeps_the_match_and_finish_releases_a_held_tail()
    {
        var kept = new StopTextStream(["STOP"], includeStop: true);
        Assert.Equal("go STOP", kept.Append("go ST") + kept.Append("OP and more"));
        Assert.Equal("go STOP", kept.Text);

        var unmatched = new StopTextStream(["STOP"], includeStop: false);
        Assert.Equal("go ", unmatched.Append("go STO"));
        Assert.Equal("STO", unmatched.Finish());
        Assert.Null(unmatched.Match);
    }
}
