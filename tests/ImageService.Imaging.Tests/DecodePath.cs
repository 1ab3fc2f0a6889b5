namespace ImageService.Imaging.Tests;

internal static class DecodePath
{
    /// <summary>Fails unless the processor's last images went the way its budget says: into memory when it has one, never
    /// when it has none. A test run of one path must not quietly test the other.</summary>
    public static void AssertTaken(VipsImageProcessor processor, long inMemoryDecodeBytes)
    {
        Assert.Equal(0, processor.Budget.InUse);
        if (inMemoryDecodeBytes == 0)
        {
            Assert.Equal(0, processor.Budget.HighWater);
        }
        else
        {
            Assert.True(processor.Budget.HighWater > 0, "the image was streamed, not decoded into memory");
        }
    }
}
