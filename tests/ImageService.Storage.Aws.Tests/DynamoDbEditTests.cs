using Amazon.DynamoDBv2.Model;
using ImageService.Core.Images;
using ImageService.Core.Listing;
using ImageService.Core.Sweeping;
using ImageService.Testing;
using ImageService.Testing.Aws;
using Microsoft.Extensions.Logging.Abstractions;
using ImageService.Testing.Contracts;

namespace ImageService.Storage.Aws.Tests;

/// <summary>
/// An edit on DynamoDB is several requests (the record, then one per moved tag edge, then clearing the record's note),
/// with no transaction. A process dying before or after any of them, or one of them landing late, must leave lists that
/// never show the image under a tag its record lacks; after one sweep the lists are exact and nothing is left to settle.
/// </summary>
[Collection(EmulatorGroup.Name)]
public sealed class DynamoDbEditTests(AwsEmulators emulators)
{
    private static readonly string[] Before = ["keep", "old"];
    private static readonly string[] After = ["keep", "new"];

    /// <summary>The edit from <see cref="Before"/> to <see cref="After"/> sends 4 requests: the record, two edges, the clear.</summary>
    public static TheoryData<int, bool> Crashes()
    {
        var data = new TheoryData<int, bool>();
        for (var at = 1; at <= 4; at++)
        {
            data.Add(at, false);
            data.Add(at, true);
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Crashes))]
    public async Task A_crash_at_any_request_of_an_edit_never_lists_a_tag_the_record_lacks_and_a_sweep_makes_the_lists_exact(int at, bool answerLost)
    {
        using var stores = await StoresAsync();
        var (table, index, _, crash, crashing) = stores;
        var current = await CommittedAsync(index, Before);

        crash.Arm(at, answerLost);
        await Assert.ThrowsAnyAsync<Exception>(() => crashing.TryEditAsync(current, Edited(current), default));

        var record = (await index.GetAsync(current.ImageId, default))!;
        Assert.True(record.Tags.SequenceEqual(Before) || record.Tags.SequenceEqual(After), "the record is edited or not, never between");
        Assert.Equal(record.Tags.SequenceEqual(After) ? "edited" : "caption", record.Caption);
        foreach (var tag in Before.Union(After))
        {
            if (await ListedAsync(index, tag, current.ImageId))
            {
                Assert.Contains(tag, record.Tags);
            }
        }

        Assert.True(await ListedAsync(index, "keep", current.ImageId), "an edge the edit did not move is never lost");

        var settled = await index.SettleEditsAsync(DateTimeOffset.UtcNow.AddDays(2), default);

        // Nothing to settle when the crash came before the record's write, or after the clear had landed.
        Assert.Equal((at, answerLost) is (1, false) or (4, true) ? 0 : 1, settled);
        await AssertExactAsync(index, table, record);
        Assert.Equal(0, await index.SettleEditsAsync(DateTimeOffset.UtcNow.AddDays(2), default));
    }

    [Fact]
    public async Task The_routine_sweep_settles_an_interrupted_edit_once_it_is_as_old_as_an_interrupted_delete()
    {
        using var stores = await StoresAsync();
        var (table, index, _, crash, crashing) = stores;
        var current = await CommittedAsync(index, Before);
        crash.Arm(2);
        await Assert.ThrowsAnyAsync<Exception>(() => crashing.TryEditAsync(current, Edited(current), default));
        var edited = (await index.GetAsync(current.ImageId, default))!;
        var clock = new ManualClock(edited.UpdatedAt.AddSeconds(30));
        var blobs = new S3BlobStore(emulators.S3, new AwsStorageOptions { Bucket = await emulators.CreateBucketAsync() });
        var sweeper = new ImageSweeper(index, blobs, new SweeperOptions { DeletingAgeSeconds = 60 }, clock, NullLogger<ImageSweeper>.Instance);

        var early = await sweeper.SweepAsync(default);
        clock.Advance(TimeSpan.FromSeconds(31));
        var due = await sweeper.SweepAsync(default);

        Assert.Equal((0, 1), (early.EditsSettled, due.EditsSettled));
        await AssertExactAsync(index, table, edited);
    }

    [Fact]
    public async Task An_edge_write_of_an_older_edit_that_lands_after_a_newer_edit_does_not_bring_a_removed_tag_back()
    {
        using var stores = await StoresAsync();
        var (table, index, _, slow, slowIndex) = stores;
        var v1 = await CommittedAsync(index, ["keep"]);

        // Edit A adds "late"; its edge write is held. Edit B, from A's version, takes "late" away again and finishes.
        slow.Arm(2, hold: true);
        var a = slowIndex.TryEditAsync(v1, v1 with { Tags = ["keep", "late"], Version = 2 }, default);
        await slow.Reached;
        var v2 = (await index.GetAsync(v1.ImageId, default))!;
        var v3 = await index.TryEditAsync(v2, v2 with { Tags = ["keep"], Version = 3 }, default);
        slow.Release();
        await a;

        Assert.NotNull(v3);
        Assert.False(await ListedAsync(index, "late", v1.ImageId));
        await AssertExactAsync(index, table, (await index.GetAsync(v1.ImageId, default))!);
    }

    [Fact]
    public async Task Edges_owed_by_crashed_or_overlapping_edits_are_bounded_the_next_edit_settles_them_first_and_the_lists_are_exact()
    {
        using var stores = await StoresAsync();
        var (table, index, counter, crash, crashing) = stores;
        string[] TagSet(int round) => [.. Enumerable.Range(0, 30).Select(i => $"r{round}t{i}")];
        var current = await CommittedAsync(index, TagSet(0));

        // Edits that each replace all 30 tags and die right after the record's write: 120 tags owed after three, and
        // from then on the record takes no more until its edges are settled.
        for (var round = 1; round <= 6; round++)
        {
            crash.Arm(2);
            await Assert.ThrowsAnyAsync<Exception>(() => crashing.TryEditAsync(current, current with { Tags = TagSet(round), Version = current.Version + 1 }, default));
            current = (await index.GetAsync(current.ImageId, default))!;
        }

        var owed = (await ItemsAsync(table, current.ImageId)).Single(i => i["sk"].S == "image")["edge_debt"].SS.Count;
        counter.Reset();
        var stored = await index.TryEditAsync(current, current with { Tags = TagSet(4), Version = current.Version + 1 }, default);

        Assert.Equal(120, owed);
        Assert.NotNull(stored);
        // The failed write, a read, the settling lease, 120 edges and the clear; the write again, its 60 edges and clear.
        Assert.True(counter.Count <= 3 + 120 + 1 + 1 + 60 + 1, $"one edit sent {counter.Count} requests");
        for (var round = 0; round <= 6; round++)
        {
            Assert.Equal(round == 4, await ListedAsync(index, $"r{round}t7", current.ImageId));
        }

        var items = await ItemsAsync(table, current.ImageId);
        Assert.Equal(30, items.Count(i => i.ContainsKey("tag_pk")));
        Assert.False(items.Single(i => i["sk"].S == "image").ContainsKey("edge_debt"));
    }

    [Fact]
    public async Task A_delete_after_edits_leaves_only_expiring_tombstones_and_costs_the_same_however_many_edits_came_before()
    {
        using var stores = await StoresAsync();
        var (table, index, counter, _, _) = stores;
        var current = await CommittedAsync(index, ["a", "b"]);
        for (var round = 0; round < 10; round++)
        {
            current = (await index.TryEditAsync(current, current with { Tags = [.. Enumerable.Range(0, 30).Select(i => $"r{round}t{i}")], Version = current.Version + 1 }, default))!;
        }

        Assert.True(await index.TransitionAsync(current.ImageId, ImageState.Committed, ImageState.Deleting, DateTimeOffset.UtcNow, default));
        counter.Reset();
        Assert.True(await index.RemoveAsync(current.ImageId, ImageState.Deleting, default));

        // A read, the conditional delete, and the 30 edges and the record in two batches: not the 272 tombstones (the
        // two first tags, then 30 from each of nine edits).
        Assert.Equal(["GetItem", "DeleteItem", "BatchWriteItem", "BatchWriteItem"], counter.Operations);
        var left = await ItemsAsync(table, current.ImageId);
        Assert.Equal(2 + (9 * 30), left.Count);
        Assert.All(left, item => Assert.False(item.ContainsKey("tag_pk") || item.ContainsKey("user_tag_pk"), "no index holds what is left"));
        Assert.All(left, item => Assert.InRange(long.Parse(item["expires_at_epoch"].N, System.Globalization.CultureInfo.InvariantCulture),
            DateTimeOffset.UtcNow.ToUnixTimeSeconds(), DateTimeOffset.UtcNow.AddHours(2).ToUnixTimeSeconds()));
        Assert.Equal(left.Count, (await index.RemoveOrphanEntriesAsync(null, 10_000, default)).Removed);
    }

    [Fact]
    public async Task An_edit_whose_answer_the_SDK_retried_after_it_landed_is_the_edit_not_a_lost_race()
    {
        using var stores = await StoresAsync(retries: 2);
        var (table, index, _, blip, retrying) = stores;
        var current = await CommittedAsync(index, Before);

        blip.Arm(1, answerLost: true, once: true);
        var stored = await retrying.TryEditAsync(current, Edited(current), default);

        Assert.NotNull(stored);
        Assert.Equal(("edited", current.Version + 1), (stored.Caption, stored.Version));
        Assert.Equal("UpdateItem", blip.Operations[1]); // the SDK's retry of the landed write
        await AssertExactAsync(index, table, stored);
    }

    [Fact]
    public async Task A_caller_that_goes_away_after_the_record_was_written_still_gets_its_edges_moved()
    {
        using var stores = await StoresAsync();
        var (table, index, _, slow, slowIndex) = stores;
        var current = await CommittedAsync(index, Before);
        using var caller = new CancellationTokenSource();

        slow.Arm(2, hold: true);
        var edit = slowIndex.TryEditAsync(current, Edited(current), caller.Token);
        await slow.Reached;
        await caller.CancelAsync();
        slow.Release();
        var stored = await edit;

        Assert.NotNull(stored);
        await AssertExactAsync(index, table, stored);
    }

    [Fact]
    public async Task An_edit_whose_edges_land_after_a_delete_took_the_image_takes_them_away_again()
    {
        using var stores = await StoresAsync();
        var (table, index, _, slow, slowIndex) = stores;
        var current = await CommittedAsync(index, Before);

        slow.Arm(2, hold: true);
        var edit = slowIndex.TryEditAsync(current, Edited(current), default);
        await slow.Reached;
        Assert.True(await index.TransitionAsync(current.ImageId, ImageState.Committed, ImageState.Deleting, DateTimeOffset.UtcNow, default));
        Assert.True(await index.RemoveAsync(current.ImageId, ImageState.Deleting, default));
        slow.Release();
        await edit;

        // The edit found its record gone and took its edges, the tombstone of "old" too, away again: nothing is left.
        Assert.Empty(await ItemsAsync(table, current.ImageId));
        Assert.False(await ListedAsync(index, "new", current.ImageId));
    }

    [Fact]
    public async Task Of_many_edits_that_meet_a_record_owing_the_most_edges_one_settles_them_and_the_others_cost_a_few_requests_each()
    {
        using var stores = await StoresAsync();
        var (table, index, counter, crash, crashing) = stores;
        var current = await CommittedAsync(index, [.. Enumerable.Range(0, 30).Select(i => $"r0t{i}")]);
        for (var round = 1; round <= 3; round++)
        {
            crash.Arm(2);
            await Assert.ThrowsAnyAsync<Exception>(() => crashing.TryEditAsync(current, current with { Tags = [.. Enumerable.Range(0, 30).Select(i => $"r{round}t{i}")], Version = current.Version + 1 }, default));
            current = (await index.GetAsync(current.ImageId, default))!;
        }

        counter.Reset();
        const int Editors = 20;
        var outcomes = await Task.WhenAll(Enumerable.Range(0, Editors).Select(i =>
            Task.Run(() => index.TryEditAsync(current, current with { Caption = $"editor {i}", Version = current.Version + 1 }, default))));

        Assert.Single(outcomes, o => o is not null);
        Assert.True(counter.Count <= 120 + 2 + Editors * 4, $"{Editors} edits sent {counter.Count} requests");
        await AssertExactAsync(index, table, (await index.GetAsync(current.ImageId, default))!);
    }

    [Fact]
    public async Task An_edit_costs_one_write_of_the_record_one_per_moved_tag_and_one_to_clear_and_a_caption_only_edit_one()
    {
        using var stores = await StoresAsync();
        var (table, index, counter, _, _) = stores;
        var v1 = await CommittedAsync(index, ["keep", "old"]);

        counter.Reset();
        var v2 = (await index.TryEditAsync(v1, v1 with { Tags = ["keep", "new"], Version = 2 }, default))!;
        var moved = counter.Operations;
        counter.Reset();
        await index.TryEditAsync(v2, v2 with { Caption = "only the caption", Version = 3 }, default);

        Assert.Equal(["UpdateItem", "UpdateItem", "UpdateItem", "UpdateItem"], moved);
        Assert.Equal(["UpdateItem"], counter.Operations);
    }

    /// <summary>One test's new table, through a counted client (<see cref="Stores.Index"/>) and through a
    /// <see cref="DynamoDbCrash"/> client (<see cref="Stores.Faulty"/>).</summary>
    private sealed record Stores(string Table, DynamoDbImageIndex Index, RequestCounter Counter, DynamoDbCrash Faults, DynamoDbImageIndex Faulty, IDisposable[] Clients) : IDisposable
    {
        public void Deconstruct(out string table, out DynamoDbImageIndex index, out RequestCounter counter, out DynamoDbCrash faults, out DynamoDbImageIndex faulty) =>
            (table, index, counter, faults, faulty) = (Table, Index, Counter, Faults, Faulty);

        public void Dispose()
        {
            foreach (var client in Clients)
            {
                client.Dispose();
            }
        }
    }

    private async Task<Stores> StoresAsync(int retries = 0)
    {
        var options = new AwsStorageOptions { Table = await emulators.CreateTableAsync() };
        var counter = new RequestCounter();
        var faults = new DynamoDbCrash();
        var counted = emulators.CountedDynamoDb(counter);
        var faulty = faults.CreateClient(emulators.DynamoDbEndpoint, retries);
        return new Stores(options.Table, new DynamoDbImageIndex(counted, options), counter, faults, new DynamoDbImageIndex(faulty, options), [counted, faulty]);
    }

    private static ImageRecord Edited(ImageRecord current) =>
        current with { Caption = "edited", Tags = After, Version = current.Version + 1, UpdatedAt = current.UpdatedAt.AddMinutes(1) };

    private static async Task<ImageRecord> CommittedAsync(DynamoDbImageIndex index, string[] tags)
    {
        var record = ImageIndexContract.Record("alice", 1, tags) with { Caption = "caption", State = ImageState.Pending };
        Assert.True(await index.TryAddAsync(record, default));
        Assert.True(await index.TransitionAsync(record.ImageId, ImageState.Pending, ImageState.Committed, record.CreatedAt, default));
        return (await index.GetAsync(record.ImageId, default))!;
    }

    private static async Task<bool> ListedAsync(DynamoDbImageIndex index, string tag, Guid imageId) =>
        (await index.ListAsync(new IndexQuery(null, tag, 10), default)).Any(r => r.ImageId == imageId)
        | (await index.ListAsync(new IndexQuery("alice", tag, 10), default)).Any(r => r.ImageId == imageId);

    /// <summary>Lists by every tag find the image exactly when its record has the tag, and the table agrees: a live edge
    /// (one an index holds) for each of the record's tags and no other, and no note left on the record.</summary>
    private async Task AssertExactAsync(DynamoDbImageIndex index, string table, ImageRecord record)
    {
        foreach (var tag in new[] { "keep", "old", "new", "late" })
        {
            Assert.Equal(record.Tags.Contains(tag), await ListedAsync(index, tag, record.ImageId));
        }

        var items = await ItemsAsync(table, record.ImageId);
        var live = items.Where(i => i["sk"].S.StartsWith("tag#", StringComparison.Ordinal) && i.ContainsKey("tag_pk")).Select(i => i["sk"].S[4..]);
        Assert.Equal(record.Tags.Order(), live.Order());
        var stored = items.Single(i => i["sk"].S == "image");
        Assert.False(stored.ContainsKey("edge_debt"), "the edit's note is cleared");
        Assert.False(stored.ContainsKey("unsettled_pk"), "the record left by_unsettled");
    }

    private async Task<List<Dictionary<string, AttributeValue>>> ItemsAsync(string table, Guid imageId) =>
        (await emulators.DynamoDb.QueryAsync(new QueryRequest
        {
            TableName = table,
            KeyConditionExpression = "pk = :pk",
            ExpressionAttributeValues = new() { [":pk"] = new AttributeValue { S = $"image#{imageId:D}" } },
            ConsistentRead = true,
        })).Items ?? [];
}
