using System.Security.Cryptography;
using System.Text;
using Amazon.DynamoDBv2.Model;
using ImageService.Core.Images;
using ImageService.Core.Listing;
using ImageService.Testing.Aws;
using ImageService.Testing.Contracts;

namespace ImageService.Storage.Aws.Tests;

/// <summary>
/// Storage:Aws:IndexShards and ReadIndexShards: the shard count grows on a live table by the path docs/scaling.md
/// writes down (readers first, then writers), and no list misses an image written under either count.
/// </summary>
[Collection(EmulatorGroup.Name)]
public sealed class DynamoDbShardCountTests(AwsEmulators emulators)
{
    [Fact]
    public async Task Growing_the_count_readers_first_then_writers_keeps_every_image_listed_in_order()
    {
        var table = await emulators.CreateTableAsync();
        var before = Index(table, shards: 4);
        var readersFirst = Index(table, shards: 4, read: 8);
        var after = Index(table, shards: 8);
        var old = await AddAsync(before, 0, 24);
        // Step 1 of the migration: every reader asks 8 shards, writers still use 4.
        var middle = await AddAsync(readersFirst, 24, 8);
        // Step 2: writers spread over 8.
        var young = await AddAsync(after, 32, 24);
        var newestFirst = old.Concat(middle).Concat(young).Reverse().Select(r => r.ImageId).ToList();

        foreach (var reader in new[] { readersFirst, after })
        {
            Assert.Equal(newestFirst, await PagesAsync(reader, null));
            Assert.Equal(newestFirst, await PagesAsync(reader, "travel"));
        }

        // The new images really use the new shards, which a reader of 4 would miss: why readers move first. (Each of the
        // 24 lands in shards 4-7 with even odds; all missing them has odds of 1 in 16 million.)
        var shards = (await emulators.DynamoDb.ScanAsync(new ScanRequest { TableName = table, IndexName = DynamoDbKeys.ByAll }))
            .Items.Select(item => item["all_pk"].S).Distinct().ToList();
        Assert.All(shards, shard => Assert.Contains(shard, Enumerable.Range(0, 8).Select(DynamoDbKeys.All)));
        Assert.Contains(shards, shard => Enumerable.Range(4, 4).Select(DynamoDbKeys.All).Contains(shard));
        Assert.True((await PagesAsync(before, null)).Count < newestFirst.Count, "a reader of fewer shards than the writers misses images");
    }

    [Fact]
    public async Task An_image_written_under_the_old_count_is_edited_and_deleted_under_the_new_one()
    {
        var table = await emulators.CreateTableAsync();
        var after = Index(table, shards: 8);
        var old = (await AddAsync(Index(table, shards: 4), 0, 1, "travel", "beach"))[0];

        var edited = await after.TryEditAsync(old, old with { Tags = ["travel", "dusk"], Version = 2 }, default);

        Assert.NotNull(edited);
        Assert.Equal([old.ImageId], await PagesAsync(after, "dusk"));
        Assert.Empty(await PagesAsync(after, "beach"));
        Assert.Equal([old.ImageId], await PagesAsync(after, "travel"));
        Assert.True(await after.TransitionAsync(old.ImageId, ImageState.Committed, ImageState.Deleting, DateTimeOffset.UtcNow, default));
        var unsettled = new List<Guid>();
        await foreach (var record in after.ListUnsettledAsync(DateTimeOffset.MaxValue, default))
        {
            unsettled.Add(record.ImageId);
        }

        Assert.Equal([old.ImageId], unsettled);
        Assert.True(await after.RemoveAsync(old.ImageId, ImageState.Deleting, default));
        Assert.Empty(await PagesAsync(after, null));
        Assert.Empty(await PagesAsync(after, "travel"));
    }

    [Fact]
    public void The_default_count_puts_every_image_in_the_shard_earlier_versions_wrote_it_to()
    {
        // Before the count was a setting the shard was the hash's first byte modulo 4: entries already stored must
        // stay where a reader of the default count looks.
        for (var i = 0; i < 200; i++)
        {
            var record = ImageIndexContract.Record("alice", i, "travel");
            var legacy = SHA256.HashData(Encoding.ASCII.GetBytes(record.ImageId.ToString("D")))[0] % 4;

            Assert.Equal(DynamoDbKeys.All(legacy), DynamoDbItems.Record(record)["all_pk"].S);
            Assert.Equal(DynamoDbKeys.Tag("travel", legacy), DynamoDbItems.TagEdge(record, "travel")["tag_pk"].S);
        }
    }

    private DynamoDbImageIndex Index(string table, int shards, int? read = null) =>
        new(emulators.DynamoDb, new AwsStorageOptions { Table = table, IndexShards = shards, ReadIndexShards = read });

    private static async Task<List<ImageRecord>> AddAsync(DynamoDbImageIndex index, int firstMinute, int count, params string[] tags)
    {
        var records = Enumerable.Range(firstMinute, count).Select(minute => ImageIndexContract.Record("alice", minute, tags.Length > 0 ? tags : ["travel"])).ToList();
        foreach (var record in records)
        {
            Assert.True(await index.TryAddAsync(record, default));
        }

        return records;
    }

    /// <summary>Every image a list shows, page by page (7 at a time, so pages cross the counts' boundaries).</summary>
    private static async Task<List<Guid>> PagesAsync(DynamoDbImageIndex index, string? tag)
    {
        var shown = new List<Guid>();
        ListPosition? after = null;
        while (true)
        {
            var page = await index.ListAsync(new IndexQuery(null, tag, 7, after), default);
            shown.AddRange(page.Select(r => r.ImageId));
            if (page.Count < 7)
            {
                return shown;
            }

            after = new ListPosition(page[^1].CreatedAt, page[^1].ImageId);
        }
    }
}
