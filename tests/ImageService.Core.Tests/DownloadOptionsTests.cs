using ImageService.Core.Images;

namespace ImageService.Core.Tests;

public sealed class DownloadOptionsTests
{
    [Fact]
    public void Links_issued_within_the_same_five_minutes_share_an_expiry_of_at_least_the_lifetime()
    {
        var options = new DownloadOptions { UrlExpirySeconds = 3600 };
        var now = new DateTimeOffset(2026, 3, 1, 10, 0, 1, TimeSpan.Zero);

        var first = options.ExpiryFrom(now);
        var later = options.ExpiryFrom(now.AddSeconds(200));

        Assert.Equal(first, later);
        Assert.True(first - now >= TimeSpan.FromHours(1));
        Assert.True(first - now < TimeSpan.FromHours(1) + TimeSpan.FromMinutes(5));
    }

    [Fact]
    public void A_link_issued_part_way_through_a_second_still_lives_the_whole_lifetime()
    {
        // 09:55:00.400 + one hour lands on a five-minute mark only if the fraction of a second is dropped.
        var options = new DownloadOptions { UrlExpirySeconds = 3600 };
        var now = new DateTimeOffset(2026, 3, 1, 9, 55, 0, 400, TimeSpan.Zero);

        Assert.True(options.ExpiryFrom(now) - now >= TimeSpan.FromHours(1), $"expires {options.ExpiryFrom(now):O}");
    }

    [Fact]
    public void The_expiry_never_exceeds_seven_days()
    {
        var options = new DownloadOptions { UrlExpirySeconds = DownloadOptions.MaxExpirySeconds };
        var now = new DateTimeOffset(2026, 3, 1, 10, 0, 1, TimeSpan.Zero);

        Assert.Equal(now.AddDays(7).ToUnixTimeSeconds(), options.ExpiryFrom(now).ToUnixTimeSeconds());
    }

    [Theory]
    [InlineData(59)]
    [InlineData(604_801)]
    public void Out_of_range_lifetimes_are_reported_with_their_key(int seconds)
    {
        var problems = new DownloadOptions { UrlExpirySeconds = seconds }.Validate().ToList();

        Assert.Contains(problems, p => p.StartsWith("Downloads:UrlExpirySeconds", StringComparison.Ordinal));
    }
}
