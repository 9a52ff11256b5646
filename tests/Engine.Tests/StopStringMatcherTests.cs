using Platform.Engine.Serving;

namespace Platform.Engine.Tests;

public sealed class StopStringMatcherTests
{
    private static (string Emitted, string? Matched) Feed(string[] stops, params string[] deltas)
    {
        var matcher = new StopStringMatcher(stops);
        var emitted = string.Concat(deltas.Select(matcher.Add));
        return (emitted + matcher.Flush(), matcher.Matched);
    }

    [Fact]
    public void A_stop_string_split_across_tokens_is_found_and_not_emitted()
    {
        Assert.Equal(("Hello ", "END"), Feed(["END"], "Hel", "lo E", "N", "D and more"));
    }

    [Fact]
    public void Text_that_only_looked_like_a_stop_string_is_emitted_in_the_end()
    {
        Assert.Equal(("a EN b EN", null), Feed(["END"], "a E", "N b", " EN"));
    }

    [Fact]
    public void Held_text_is_released_as_soon_as_it_cannot_be_a_stop()
    {
        var matcher = new StopStringMatcher(["\n\n"]);
        Assert.Equal("one", matcher.Add("one\n"));
        Assert.Equal("\ntwo", matcher.Add("two"));
    }

    [Fact]
    public void The_earliest_of_several_stops_wins()
    {
        Assert.Equal(("x", "yz"), Feed(["z", "yz"], "xyz"));
    }
}
