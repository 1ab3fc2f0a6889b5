using System.Globalization;
using System.Text;
using ImageService.Core.Images;

namespace ImageService.Bench.ListDesign;

/// <summary>
/// Images that look like real ones to a list: captions of 20–300 characters (most of them short), alt text on most,
/// one to five tags drawn with a Zipf-like popularity from 200, uploads spread over users with a long tail, a ThumbHash-
/// sized placeholder, a dominant colour and three renditions. The sizes of these fields decide what design B's index
/// entries cost, so they are what must be realistic; the words themselves are not.
/// </summary>
public sealed class ListDesignData(int seed)
{
    public const int Users = 100;
    public const int TagCount = 200;

    private static readonly string[] Words =
    [
        "morning", "light", "over", "the", "harbour", "old", "town", "walls", "after", "rain", "my", "dog", "on", "beach", "first",
        "snow", "of", "winter", "street", "market", "in", "lisbon", "sunset", "from", "ridge", "trail", "kids", "playing", "park",
        "coffee", "and", "croissant", "at", "corner", "cafe", "mountain", "lake", "reflection", "bridge", "night", "city", "lights",
        "garden", "roses", "june", "family", "dinner", "grandma", "kitchen", "train", "station", "fog", "autumn", "leaves", "forest",
        "path", "birthday", "cake", "candles", "concert", "crowd", "stage", "boats", "river", "quiet", "sunday", "view", "window",
    ];

    private static readonly string[] TagWords =
    [
        "sunset", "beach", "travel", "family", "dog", "cat", "food", "city", "nature", "mountains", "portrait", "street", "night",
        "snow", "flowers", "architecture", "friends", "party", "sea", "forest",
    ];

    private readonly Random random = new(seed);
    private readonly DateTimeOffset start = DateTimeOffset.UtcNow.AddYears(-1);
    private int made;

    /// <summary>The tag of popularity rank <paramref name="rank"/> (0 the most popular).</summary>
    public static string Tag(int rank) => rank < TagWords.Length ? TagWords[rank] : $"{TagWords[rank % TagWords.Length]}{rank / TagWords.Length}";

    public static string User(int rank) => $"user-{rank:D4}";

    /// <summary>The next image, each newer than the one before, committed at version 1.</summary>
    public ImageRecord Next()
    {
        var id = Guid.NewGuid();
        var created = start.AddMilliseconds((made++ * 20L) + random.Next(20));
        var tagCount = Pick([30, 30, 20, 12, 8]) + 1;
        var tags = new List<string>();
        while (tags.Count < tagCount)
        {
            var tag = Tag(Zipf(TagCount, 1.0));
            if (!tags.Contains(tag))
            {
                tags.Add(tag);
            }
        }

        var (width, height) = Pick([50, 30, 20]) switch { 0 => (4032, 3024), 1 => (3024, 4032), _ => (1920, 1080) };
        return new ImageRecord(id, User(Zipf(Users, 0.8)), Caption(), tags, created, width, height, "image/jpeg", 2_000_000 + random.Next(3_000_000),
            Convert.ToHexStringLower(Guid.NewGuid().ToByteArray()) + Convert.ToHexStringLower(Guid.NewGuid().ToByteArray()),
            [
                new StoredVariant(VariantNames.Thumbnail, BlobKeys.ForVariant(id, VariantNames.Thumbnail, "webp"), "image/webp", 320, 240, 18_000 + random.Next(9_000)),
                new StoredVariant(VariantNames.Display, BlobKeys.ForVariant(id, VariantNames.Display, "webp"), "image/webp", 1600, 1200, 250_000 + random.Next(90_000)),
                new StoredVariant(VariantNames.Original, BlobKeys.ForVariant(id, VariantNames.Original, "jpg"), "image/jpeg", width, height, 2_000_000 + random.Next(3_000_000)),
            ])
        {
            AltText = random.Next(10) < 6 ? Sentence(30 + random.Next(170)) : null,
            Placeholder = Convert.ToBase64String(RandomBytes(22)),
            DominantColor = string.Create(CultureInfo.InvariantCulture, $"#{random.Next(0x1000000):x6}"),
        };
    }

    /// <summary>A caption of 20–300 characters, most of them short (the length's distribution is skewed to the left).</summary>
    public string Caption() => Sentence(20 + (int)(280 * Math.Pow(random.NextDouble(), 2)));

    /// <summary>A tag of middling popularity that <paramref name="tags"/> lacks, for an edit that swaps one.</summary>
    public string OtherTag(IReadOnlyList<string> tags)
    {
        for (var rank = 10; ; rank++)
        {
            if (!tags.Contains(Tag(rank)))
            {
                return Tag(rank);
            }
        }
    }

    private string Sentence(int length)
    {
        var text = new StringBuilder();
        while (text.Length < length)
        {
            text.Append(text.Length == 0 ? "" : " ").Append(Words[random.Next(Words.Length)]);
        }

        return text.ToString(0, length).TrimEnd();
    }

    private byte[] RandomBytes(int count)
    {
        var bytes = new byte[count];
        random.NextBytes(bytes);
        return bytes;
    }

    /// <summary>An index by the weights in percent.</summary>
    private int Pick(int[] weights)
    {
        var roll = random.Next(weights.Sum());
        for (var i = 0; i < weights.Length; i++)
        {
            if ((roll -= weights[i]) < 0)
            {
                return i;
            }
        }

        return weights.Length - 1;
    }

    /// <summary>A rank in [0, n) with probability proportional to 1 / (rank + 1)^s.</summary>
    private int Zipf(int n, double s)
    {
        var total = 0.0;
        for (var k = 1; k <= n; k++)
        {
            total += 1 / Math.Pow(k, s);
        }

        var roll = random.NextDouble() * total;
        for (var k = 1; k <= n; k++)
        {
            if ((roll -= 1 / Math.Pow(k, s)) <= 0)
            {
                return k - 1;
            }
        }

        return n - 1;
    }
}
