using ImageService.Core.Images;

namespace ImageService.Bench;

/// <summary>The seeded index both listing sections measure: the same images, users, tags, queries and page positions.</summary>
public static class ListingWorkload
{
    public const int Users = 50;
    public const int TagCount = 20;
    public const int PageSize = 20;

    public static readonly (string Name, string? User, string? Tag)[] Queries =
        [("by user", "u7", null), ("by tag", null, "tag3"), ("by user and tag", "u7", "tag3")];

    /// <summary><paramref name="size"/> committed images over the past year, oldest first, each with one or two tags.</summary>
    public static IEnumerable<ImageRecord> Records(int size)
    {
        var random = new Random(42);
        var start = DateTimeOffset.UtcNow.AddYears(-1);
        for (var i = 0; i < size; i++)
        {
            var user = $"u{random.Next(Users)}";
            var created = start.AddMilliseconds((i * 20L) + random.Next(20));
            string[] tags = [.. new[] { $"tag{random.Next(TagCount)}", $"tag{random.Next(TagCount)}" }.Distinct()];
            yield return new ImageRecord(Guid.NewGuid(), user, "seeded", tags, created, 1080, 1080, "image/jpeg", 100_000, "x", []);
        }
    }

    /// <summary>Where the deep page starts among <paramref name="matching"/> images: page 1,000 where the filter reaches
    /// that far, otherwise the deepest page that is still full.</summary>
    public static int DeepOffset(long matching) => (int)Math.Max(0, Math.Min(20_000, matching - (PageSize + 1)));
}
