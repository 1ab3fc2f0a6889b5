using ImageService.Core.Sweeping;

namespace ImageService.Core.Tests;

public sealed class SweeperOptionsTests
{
    [Theory]
    [InlineData(0)]
    [InlineData(1_000_001)]
    public void A_full_page_size_out_of_range_names_the_setting(int pageSize)
    {
        var problems = new SweeperOptions { FullPageSize = pageSize }.Validate(background: true).ToList();

        Assert.Equal(["Sweeper:FullPageSize must be between 1 and 1000000."], problems);
    }

    [Theory]
    [InlineData(-1)]
    [InlineData(10_001)]
    public void A_backfill_batch_size_out_of_range_names_the_setting(int batchSize)
    {
        var problems = new SweeperOptions { BackfillBatchSize = batchSize }.Validate(background: true).ToList();

        Assert.Equal(["Sweeper:BackfillBatchSize must be between 0 (no backfill in the routine sweep) and 10000."], problems);
        Assert.Empty(new SweeperOptions { BackfillBatchSize = 0 }.Validate(background: true));
    }

    [Fact]
    public void The_defaults_are_valid()
    {
        Assert.Empty(new SweeperOptions().Validate(background: true));
    }

    [Fact]
    public void A_background_sweeper_may_not_take_over_uploads_that_may_still_be_running()
    {
        var eager = new SweeperOptions { PendingAgeSeconds = 0 };

        var problem = Assert.Single(eager.Validate(background: true));
        Assert.StartsWith("Sweeper:PendingAgeSeconds must be at least 60", problem, StringComparison.Ordinal);
        Assert.Empty(eager.Validate(background: false));
        Assert.Empty(new SweeperOptions { PendingAgeSeconds = 0, Enabled = false }.Validate(background: true));
    }
}
