using MoCo.Orchestrator.Methods.Text;

namespace MoCo.Orchestrator.Tests.Methods;

/// <summary>The vote of methods-text.md §1 (MoCo.NET rules), checked against hand-computed cases.</summary>
public sealed class MajorityVoteTests
{
    [Fact]
    public void A_strict_plurality_wins_alone()
    {
        var leaders = MajorityVote.Leaders(["B", "A", "B"], normalise: false);
        Assert.Equal("B", Assert.Single(leaders).Answer);
        Assert.Equal([0, 2], leaders[0].Voters);
    }

    [Fact]
    public void Ties_are_listed_in_first_appearance_order()
    {
        var leaders = MajorityVote.Leaders(["C", "A", "A", "C", "B"], normalise: false);
        Assert.Equal(["C", "A"], leaders.Select(g => g.Answer).ToList());
        Assert.Equal([0, 3], leaders[0].Voters);
    }

    [Fact]
    public void Null_answers_do_not_vote_unless_all_are_null()
    {
        Assert.Equal("D", Assert.Single(MajorityVote.Leaders([null, null, "D"], normalise: false)).Answer);
        Assert.Empty(MajorityVote.Leaders([null, null], normalise: false));
    }

    [Fact]
    public void Free_text_answers_group_by_normalised_form_and_keep_the_first_text()
    {
        var leaders = MajorityVote.Leaders(["The Paris.", "london", "paris", "London!", "PARIS"], normalise: true);
        var group = Assert.Single(leaders);
        Assert.Equal("The Paris.", group.Answer);
        Assert.Equal([0, 2, 4], group.Voters);
    }
}
