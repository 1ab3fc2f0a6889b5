using ImageService.Core.Images;

namespace ImageService.Core.Tests;

public sealed class IdempotencyOptionsTests
{
    [Fact]
    public void The_defaults_are_valid_and_a_lease_of_ten_seconds()
    {
        var options = new IdempotencyOptions();

        Assert.Empty(options.Validate());
        Assert.Equal(TimeSpan.FromSeconds(10), options.Lease);
    }

    [Theory]
    [InlineData(2, 86_400)]
    [InlineData(3_601, 86_400)]
    [InlineData(120, 60)]
    public void A_lease_out_of_range_names_the_setting(int leaseSeconds, int keyLifetimeSeconds)
    {
        var options = new IdempotencyOptions { LeaseSeconds = leaseSeconds, KeyLifetimeSeconds = keyLifetimeSeconds };

        Assert.Contains(options.Validate(), error => error.StartsWith("Idempotency:LeaseSeconds", StringComparison.Ordinal));
    }
}
