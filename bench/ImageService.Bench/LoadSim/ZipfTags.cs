namespace ImageService.Bench.LoadSim;

/// <summary>
/// Tag popularity as people use tags: the k-th most popular tag is drawn with a weight of 1 / k^1.1 (Zipf-like), so
/// the first, "sunset", is hot (about a fifth of all draws among 40 tags) and the tail is rarely touched.
/// </summary>
internal sealed class ZipfTags
{
    private const double Exponent = 1.1;

    private static readonly string[] Names =
    [
        "sunset", "beach", "travel", "food", "family", "city", "nature", "dog", "cat", "friends",
        "mountains", "coffee", "art", "street", "night", "flowers", "snow", "rain", "garden", "music",
        "sea", "forest", "bridge", "market", "train", "birds", "autumn", "spring", "summer", "winter",
        "portrait", "macro", "clouds", "river", "lake", "desert", "island", "harbour", "castle", "museum",
    ];

    private readonly double[] cumulative;

    public ZipfTags()
    {
        var weights = Names.Select((_, rank) => 1 / Math.Pow(rank + 1, Exponent)).ToArray();
        var total = weights.Sum();
        var running = 0.0;
        cumulative = [.. weights.Select(w => running += w / total)];
    }

    public static string Hot => Names[0];

    /// <summary>The hot tag's share of all draws.</summary>
    public double HotShare => cumulative[0];

    public string Draw(Random random)
    {
        var at = Array.BinarySearch(cumulative, random.NextDouble());
        return Names[Math.Min(at < 0 ? ~at : at, Names.Length - 1)];
    }

    /// <summary>Between one and <paramref name="most"/> distinct tags, each drawn by popularity.</summary>
    public List<string> DrawSome(Random random, int most = 3)
    {
        var count = random.Next(1, most + 1);
        var tags = new List<string>(count);
        for (var attempt = 0; tags.Count < count && attempt < 20; attempt++)
        {
            var tag = Draw(random);
            if (!tags.Contains(tag))
            {
                tags.Add(tag);
            }
        }

        return tags;
    }
}
