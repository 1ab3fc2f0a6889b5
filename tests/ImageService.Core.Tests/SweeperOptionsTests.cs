using ImageService.Core.Sweeping;

namespace ImageService.Core.Tests;

public sealed class SweeperOptionsTests
{
    [Theory]
    [InlineData(0)]
    [InlineData(1_000_001)]
    public void A_full_page_size_out_of_range_names_the_setting(int pageSize)
    {
        var problems = new SweeperOptions { FullPageSize = pageSize }.Validate().ToList();

        Assert.Equal(["Sweeper:FullPageSize must be between 1 and 1000000."], problems);
    }

    [Fact]
    public void The_defaults_are_valid()
    {
        Assert.Empty(new SweeperOptions().Validate());
    }
}
