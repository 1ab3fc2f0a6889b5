using Amazon.DynamoDBv2.Model;
using ImageService.Core.Images;
using ImageService.Core.Listing;
using ImageService.Storage.Aws;
using ImageService.Testing.Aws;

namespace ImageService.Bench.LoadSim;

/// <summary>
/// Seeds the catalogue straight into the table (BatchWriteItem of each record and its tag edges, as the upload writes
/// them, committed) rather than through the API, so that a catalogue of thousands takes seconds; the newest
/// <c>withRenditions</c> also get their three renditions in the bucket (one byte each), so that deleting them costs
/// what deleting an uploaded image does. Seeded records are one a minute apart, the newest a day old, so everything
/// uploaded during the run is newer.
/// </summary>
internal static class CatalogueSeed
{
    public static async Task<Catalogue> SeedAsync(
        AwsEmulators emulators, string table, string bucket, int images, int withRenditions, ZipfTags tags, CancellationToken cancellationToken)
    {
        var random = new Random(8);
        var catalogue = new Catalogue();
        var newest = DateTimeOffset.UtcNow.AddDays(-1);
        var records = Enumerable.Range(0, images).Select(i => Record(newest.AddMinutes(-i), Catalogue.UserName(random.Next(Catalogue.Users)), tags.DrawSome(random), i)).ToList();
        await Parallel.ForEachAsync(
            records.SelectMany(r => r.Tags.Select(tag => DynamoDbItems.TagEdge(r, tag)).Prepend(DynamoDbItems.Record(r))).Chunk(25),
            new ParallelOptions { MaxDegreeOfParallelism = 4, CancellationToken = cancellationToken },
            async (batch, token) =>
            {
                var pending = new Dictionary<string, List<WriteRequest>> { [table] = [.. batch.Select(item => new WriteRequest(new PutRequest(item)))] };
                while (pending.GetValueOrDefault(table) is { Count: > 0 })
                {
                    pending = (await emulators.DynamoDb.BatchWriteItemAsync(pending, token)).UnprocessedItems ?? [];
                }
            });
        await Parallel.ForEachAsync(
            records.Take(withRenditions).SelectMany(r => r.Variants),
            new ParallelOptions { MaxDegreeOfParallelism = 8, CancellationToken = cancellationToken },
            async (variant, token) => await emulators.S3.PutObjectAsync(
                new Amazon.S3.Model.PutObjectRequest { BucketName = bucket, Key = variant.Key, InputStream = new MemoryStream([1]), ContentType = variant.ContentType }, token));

        foreach (var (record, i) in records.Select((r, i) => (r, i)))
        {
            catalogue.Add(record.ImageId, record.UserId, record.Tags, withRenditions: i < withRenditions);
            catalogue.Newest.Add(new ListPosition(record.CreatedAt, record.ImageId));
            if (record.Tags.Contains(ZipfTags.Hot))
            {
                catalogue.NewestOfHotTag.Add(new ListPosition(record.CreatedAt, record.ImageId));
            }
        }

        return catalogue;
    }

    private static ImageRecord Record(DateTimeOffset at, string user, List<string> tags, int i)
    {
        var id = Guid.NewGuid();
        return new ImageRecord(id, user, $"Seeded photo {i}", tags, at, 640, 480, "image/jpeg", 20_000, new string('a', 64),
        [
            new StoredVariant(VariantNames.Thumbnail, BlobKeys.ForVariant(id, VariantNames.Thumbnail, "webp"), "image/webp", 320, 240, 1),
            new StoredVariant(VariantNames.Display, BlobKeys.ForVariant(id, VariantNames.Display, "webp"), "image/webp", 640, 480, 1),
            new StoredVariant(VariantNames.Original, BlobKeys.ForVariant(id, VariantNames.Original, "jpg"), "image/jpeg", 640, 480, 1),
        ])
        {
            State = ImageState.Committed,
            StateChangedAt = at,
        };
    }
}
