using ImageService.Core;
using ImageService.Core.Listing;

namespace ImageService.Core.Tests;

public sealed class ListCursorTests
{
    private static readonly ListPosition Position = new(DateTimeOffset.FromUnixTimeMilliseconds(1_790_000_000_123), Guid.NewGuid());

    [Fact]
    public void A_cursor_round_trips_for_the_query_it_came_from()
    {
        var cursor = ListCursor.Encode(Position, "alice", "travel");

        Assert.Equal(Position, ListCursor.Decode(cursor, "alice", "travel"));
        Assert.DoesNotContain(Position.ImageId.ToString("N"), cursor, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("bob", "travel")]
    [InlineData("alice", null)]
    [InlineData(null, "travel")]
    [InlineData(null, null)]
    public void A_cursor_cannot_be_replayed_against_other_filters(string? userId, string? tag)
    {
        var cursor = ListCursor.Encode(Position, "alice", "travel");

        var error = Assert.Throws<ImageServiceException>(() => ListCursor.Decode(cursor, userId, tag));
        Assert.Contains("other 'user_id'/'tag' filters", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("garbage")]
    [InlineData("Yzl8MXwyfDM")]
    [InlineData("%%%")]
    [InlineData("YzF8LTF8MDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDB8YWJj")]
    public void A_forged_cursor_is_a_clear_bad_request(string cursor)
    {
        var error = Assert.Throws<ImageServiceException>(() => ListCursor.Decode(cursor, null, null));

        Assert.Equal(ImageErrorKind.InvalidRequest, error.Kind);
        Assert.Contains("not one this service issued", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void An_overlong_cursor_is_refused_without_decoding()
    {
        Assert.Throws<ImageServiceException>(() => ListCursor.Decode(new string('A', 10_000), null, null));
    }
}
