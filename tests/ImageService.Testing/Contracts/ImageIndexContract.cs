using ImageService.Core.Images;
using ImageService.Core.Listing;
using ImageService.Core.Ports;
using Xunit;

namespace ImageService.Testing.Contracts;

/// <summary>What every <see cref="IImageIndex"/> must do. Each backend's tests derive from this class once.</summary>
public abstract class ImageIndexContract : IAsyncLifetime
{
    private static readonly DateTimeOffset Start = new(2026, 1, 1, 12, 0, 0, TimeSpan.Zero);
    private IImageIndex? index;

    protected IImageIndex Index => index ?? throw new InvalidOperationException("The index is created in InitializeAsync.");

    /// <summary>A new, empty index for one test.</summary>
    protected abstract Task<IImageIndex> CreateIndexAsync();

    protected virtual Task DestroyIndexAsync() => Task.CompletedTask;

    public async Task InitializeAsync() => index = await CreateIndexAsync();

    public Task DisposeAsync() => DestroyIndexAsync();

    public static ImageRecord Record(string userId, int minute, params string[] tags)
    {
        var id = Guid.NewGuid();
        return new ImageRecord(id, userId, $"caption of {id}", tags, Start.AddMinutes(minute), 1080, 720, "image/jpeg", 12345,
            new string('a', 64),
            [
                new StoredVariant(VariantNames.Thumbnail, BlobKeys.ForVariant(id, "thumbnail", "webp"), "image/webp", 320, 320, 999),
                new StoredVariant(VariantNames.Original, BlobKeys.ForVariant(id, "original", "jpg"), "image/jpeg", 1080, 720, 12345),
            ]);
    }

    [Fact]
    public async Task Alt_text_and_placeholders_read_back_in_a_get_and_a_list_and_are_null_when_there_are_none()
    {
        var described = Record("alt-user", 1) with
        {
            AltText = "A golden retriever asleep on a sunny beach 🐕\nSecond line.",
            Placeholder = "1QcSHQRnh493V4dIh4eXh1h4kJUI",
            DominantColor = "#e6781e",
        };
        var plain = Record("alt-user", 2);
        Assert.True(await Index.TryAddAsync(described, default));
        Assert.True(await Index.TryAddAsync(plain, default));

        var read = (await Index.GetAsync(described.ImageId, default))!;
        Assert.Equal((described.AltText, described.Placeholder, described.DominantColor), (read.AltText, read.Placeholder, read.DominantColor));
        var none = (await Index.GetAsync(plain.ImageId, default))!;
        Assert.Equal((null, null, null), (none.AltText, none.Placeholder, none.DominantColor));
        var listed = await Index.ListAsync(new IndexQuery("alt-user", null, 10, null), default);
        Assert.Equal([null, described.AltText], listed.Select(r => r.AltText));
        Assert.Equal([null, described.Placeholder], listed.Select(r => r.Placeholder));
    }

    [Fact]
    public async Task An_added_record_reads_back_field_for_field()
    {
        var record = Record("u1", 0, "travel", "beach") with { Caption = "Beach vibes 🌊 #sunset" };
        Assert.True(await Index.TryAddAsync(record, default));

        var read = await Index.GetAsync(record.ImageId, default);

        Assert.NotNull(read);
        AssertSame(record, read);
    }

    [Fact]
    public async Task Adding_an_existing_id_changes_nothing()
    {
        var record = Record("u1", 0, "travel");
        await Index.TryAddAsync(record, default);

        Assert.False(await Index.TryAddAsync(record with { UserId = "intruder", Tags = ["stolen"] }, default));

        var read = await Index.GetAsync(record.ImageId, default);
        Assert.Equal("u1", read!.UserId);
        Assert.Empty(await Index.ListAsync(new IndexQuery(null, "stolen", 10), default));
        Assert.Empty(await Index.ListAsync(new IndexQuery("intruder", null, 10), default));
    }

    [Fact]
    public async Task An_unknown_id_reads_as_null()
    {
        Assert.Null(await Index.GetAsync(Guid.NewGuid(), default));
    }

    [Fact]
    public async Task Lists_are_newest_first_and_filter_by_user_tag_or_both()
    {
        var a = Record("alice", 1, "travel");
        var b = Record("bob", 2, "travel", "food");
        var c = Record("alice", 3, "food");
        var d = Record("alice", 4, "travel", "food");
        foreach (var r in new[] { a, b, c, d })
        {
            await Index.TryAddAsync(r, default);
        }

        Assert.Equal(Ids(d, c, b, a), await ListIds(new IndexQuery(null, null, 10)));
        Assert.Equal(Ids(d, c, a), await ListIds(new IndexQuery("alice", null, 10)));
        Assert.Equal(Ids(d, b, a), await ListIds(new IndexQuery(null, "travel", 10)));
        Assert.Equal(Ids(d, c), await ListIds(new IndexQuery("alice", "food", 10)));
        Assert.Empty(await ListIds(new IndexQuery("carol", null, 10)));
        Assert.Empty(await ListIds(new IndexQuery(null, "trave", 10)));
    }

    [Theory]
    [InlineData(null, null)]
    [InlineData("alice", null)]
    [InlineData(null, "travel")]
    [InlineData("alice", "travel")]
    public async Task Paging_after_a_position_walks_every_match_once_in_order(string? userId, string? tag)
    {
        // Several images share a timestamp, so the id must break ties consistently.
        var records = Enumerable.Range(0, 23)
            .Select(i => Record(i % 3 == 0 ? "bob" : "alice", i / 4, i % 2 == 0 ? ["travel"] : ["food"]))
            .ToList();
        foreach (var r in records)
        {
            await Index.TryAddAsync(r, default);
        }

        var expected = records
            .Where(r => (userId is null || r.UserId == userId) && (tag is null || r.Tags.Contains(tag)))
            .OrderByDescending(r => r.CreatedAt).ThenByDescending(r => r.ImageId.ToString("D"), StringComparer.Ordinal)
            .Select(r => r.ImageId)
            .ToList();

        var walked = new List<Guid>();
        ListPosition? after = null;
        while (true)
        {
            var page = await Index.ListAsync(new IndexQuery(userId, tag, 4, after), default);
            Assert.True(page.Count <= 4);
            walked.AddRange(page.Select(r => r.ImageId));
            if (page.Count < 4)
            {
                break;
            }

            after = new ListPosition(page[^1].CreatedAt, page[^1].ImageId);
        }

        Assert.Equal(expected, walked);
    }

    [Fact]
    public async Task A_removed_record_is_gone_from_reads_and_every_list()
    {
        var keep = Record("alice", 1, "travel");
        var gone = Record("alice", 2, "travel");
        await Index.TryAddAsync(keep, default);
        await Index.TryAddAsync(gone, default);

        Assert.True(await Index.RemoveAsync(gone.ImageId, ImageState.Committed, default));

        Assert.Null(await Index.GetAsync(gone.ImageId, default));
        Assert.Equal(Ids(keep), await ListIds(new IndexQuery(null, null, 10)));
        Assert.Equal(Ids(keep), await ListIds(new IndexQuery("alice", null, 10)));
        Assert.Equal(Ids(keep), await ListIds(new IndexQuery(null, "travel", 10)));
        Assert.Equal(Ids(keep), await ListIds(new IndexQuery("alice", "travel", 10)));
        Assert.False(await Index.RemoveAsync(gone.ImageId, ImageState.Committed, default));
    }

    [Fact]
    public async Task Of_concurrent_adds_with_one_id_exactly_one_wins()
    {
        var record = Record("alice", 1, "travel");

        var outcomes = await Task.WhenAll(Enumerable.Range(0, 8).Select(i =>
            Task.Run(() => Index.TryAddAsync(record with { Caption = $"attempt {i}" }, default))));

        Assert.Single(outcomes, won => won);
        Assert.Single(await Index.ListAsync(new IndexQuery(null, "travel", 10), default));
    }

    [Fact]
    public async Task Of_concurrent_removes_exactly_one_reports_the_removal()
    {
        var record = Record("alice", 1, "travel");
        await Index.TryAddAsync(record, default);

        var outcomes = await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => Task.Run(() => Index.RemoveAsync(record.ImageId, ImageState.Committed, default))));

        Assert.Single(outcomes, removed => removed);
        Assert.Null(await Index.GetAsync(record.ImageId, default));
    }

    [Fact]
    public async Task An_edit_is_stored_at_the_next_version_and_lists_follow_its_tags_at_once()
    {
        var other = Record("bob", 1, "travel", "food");
        var record = Record("alice", 2, "travel", "beach") with { AltText = "sand", Placeholder = "1QcSHQRnh493V4dIh4eXh1h4kJUI", DominantColor = "#e6781e" };
        await Index.TryAddAsync(other, default);
        await Index.TryAddAsync(record, default);
        var edited = record with { Caption = "Dinner", Tags = ["food", "pasta"], AltText = null, Version = 2, UpdatedAt = Start.AddHours(1) };

        var stored = await Index.TryEditAsync(record, edited, default);

        var read = (await Index.GetAsync(record.ImageId, default))!;
        foreach (var image in new[] { stored!, read })
        {
            Assert.Equal(("Dinner", null, 2L, Start.AddHours(1)), (image.Caption, image.AltText, image.Version, image.UpdatedAt));
            Assert.Equal(["food", "pasta"], image.Tags);
            Assert.Equal((record.CreatedAt, record.Sha256, record.Placeholder, record.DominantColor), (image.CreatedAt, image.Sha256, image.Placeholder, image.DominantColor));
            Assert.Equal(record.Variants, image.Variants);
        }

        Assert.Equal(Ids(other), await ListIds(new IndexQuery(null, "travel", 10)));
        Assert.Empty(await ListIds(new IndexQuery("alice", "beach", 10)));
        Assert.Equal(Ids(record, other), await ListIds(new IndexQuery(null, "food", 10)));
        Assert.Equal(Ids(record), await ListIds(new IndexQuery("alice", "pasta", 10)));
        Assert.Equal(Ids(record, other), await ListIds(new IndexQuery(null, null, 10)));
        Assert.Equal(0, await Index.SettleEditsAsync(Start.AddDays(30), default));
    }

    [Fact]
    public async Task An_edit_from_another_version_or_of_a_record_not_committed_changes_nothing()
    {
        var record = Record("alice", 1, "travel");
        var pending = Record("alice", 2, "travel") with { State = ImageState.Pending };
        await Index.TryAddAsync(record, default);
        await Index.TryAddAsync(pending, default);
        var v2 = await Index.TryEditAsync(record, record with { Caption = "v2", Version = 2 }, default);

        Assert.Null(await Index.TryEditAsync(record, record with { Caption = "stale", Tags = ["stale"], Version = 2 }, default));
        Assert.Null(await Index.TryEditAsync(pending, pending with { Tags = ["stale"], Version = 2 }, default));
        Assert.Null(await Index.TryEditAsync(Record("alice", 3), Record("alice", 3) with { Version = 2 }, default));
        Assert.True(await Index.TransitionAsync(record.ImageId, ImageState.Committed, ImageState.Deleting, Start, default));
        Assert.Null(await Index.TryEditAsync(v2!, v2! with { Tags = ["stale"], Version = 3 }, default));

        Assert.Equal(("v2", 2L), ((await Index.GetAsync(record.ImageId, default))!.Caption, (await Index.GetAsync(record.ImageId, default))!.Version));
        Assert.Empty(await ListIds(new IndexQuery(null, "stale", 10)));
        Assert.Equal(ImageState.Pending, (await Index.GetAsync(pending.ImageId, default))!.State);
    }

    [Fact]
    public async Task Of_concurrent_edits_from_one_version_exactly_one_lands_and_only_its_tags_list_the_image()
    {
        var record = Record("alice", 1, "start");
        await Index.TryAddAsync(record, default);

        var outcomes = await Task.WhenAll(Enumerable.Range(0, 8).Select(i =>
            Task.Run(() => Index.TryEditAsync(record, record with { Caption = $"edit {i}", Tags = [$"edit{i}"], Version = 2 }, default))));

        var winner = Assert.Single(outcomes, stored => stored is not null)!;
        Assert.Equal(winner.Caption, (await Index.GetAsync(record.ImageId, default))!.Caption);
        for (var i = 0; i < 8; i++)
        {
            Assert.Equal(winner.Caption == $"edit {i}" ? Ids(record) : [], await ListIds(new IndexQuery(null, $"edit{i}", 10)));
        }

        Assert.Empty(await ListIds(new IndexQuery("alice", "start", 10)));
    }

    [Fact]
    public async Task A_tag_removed_and_added_back_over_several_edits_lists_as_the_last_edit_says()
    {
        var record = Record("alice", 1, "x");
        await Index.TryAddAsync(record, default);
        var current = record;
        foreach (var (tags, version) in new[] { (Array.Empty<string>(), 2L), (["x"], 3L), (["y"], 4L), (["x", "y"], 5L) })
        {
            current = (await Index.TryEditAsync(current, current with { Tags = tags, Version = version }, default))!;
            Assert.Equal(tags.Contains("x") ? Ids(record) : [], await ListIds(new IndexQuery(null, "x", 10)));
            Assert.Equal(tags.Contains("y") ? Ids(record) : [], await ListIds(new IndexQuery("alice", "y", 10)));
        }

        Assert.True(await Index.RemoveAsync(record.ImageId, ImageState.Committed, default));
        Assert.Empty(await ListIds(new IndexQuery(null, "x", 10)));
        Assert.Equal(0, (await Index.RemoveOrphanEntriesAsync(null, 1_000, default)).Removed);
    }

    [Fact]
    public async Task A_pending_record_is_readable_but_listed_only_once_committed()
    {
        var record = Record("alice", 1, "travel") with { State = ImageState.Pending };
        await Index.TryAddAsync(record, default);

        Assert.Equal(ImageState.Pending, (await Index.GetAsync(record.ImageId, default))!.State);
        Assert.Empty(await ListIds(new IndexQuery(null, null, 10)));
        Assert.Empty(await ListIds(new IndexQuery("alice", "travel", 10)));

        Assert.True(await Index.TransitionAsync(record.ImageId, ImageState.Pending, ImageState.Committed, Start.AddMinutes(5), default));

        var committed = await Index.GetAsync(record.ImageId, default);
        Assert.Equal((ImageState.Committed, Start.AddMinutes(5)), (committed!.State, committed.StateChangedAt));
        Assert.Equal(Ids(record), await ListIds(new IndexQuery(null, "travel", 10)));
        Assert.Equal(Ids(record), await ListIds(new IndexQuery("alice", null, 10)));
    }

    [Fact]
    public async Task A_transition_from_the_wrong_state_changes_nothing()
    {
        var record = Record("alice", 1, "travel");
        await Index.TryAddAsync(record, default);

        Assert.False(await Index.TransitionAsync(record.ImageId, ImageState.Pending, ImageState.Committed, Start, default));
        Assert.False(await Index.TransitionAsync(Guid.NewGuid(), ImageState.Committed, ImageState.Deleting, Start, default));
        Assert.False(await Index.RemoveAsync(record.ImageId, ImageState.Deleting, default));

        Assert.Equal(ImageState.Committed, (await Index.GetAsync(record.ImageId, default))!.State);
        Assert.Equal(Ids(record), await ListIds(new IndexQuery(null, "travel", 10)));
    }

    [Fact]
    public async Task A_deleting_record_vanishes_from_lists_at_once()
    {
        var record = Record("alice", 1, "travel");
        await Index.TryAddAsync(record, default);

        Assert.True(await Index.TransitionAsync(record.ImageId, ImageState.Committed, ImageState.Deleting, Start.AddMinutes(1), default));

        Assert.Empty(await ListIds(new IndexQuery(null, null, 10)));
        Assert.Empty(await ListIds(new IndexQuery("alice", "travel", 10)));
        Assert.True(await Index.RemoveAsync(record.ImageId, ImageState.Deleting, default));
        Assert.Null(await Index.GetAsync(record.ImageId, default));
    }

    [Fact]
    public async Task Unsettled_records_older_than_a_cutoff_are_found_for_the_sweeper()
    {
        var stalePending = Record("a", 1, "t") with { State = ImageState.Pending, StateChangedAt = Start };
        var freshPending = Record("a", 2, "t") with { State = ImageState.Pending, StateChangedAt = Start.AddHours(1) };
        var staleDeleting = Record("a", 3, "t") with { State = ImageState.Deleting, StateChangedAt = Start };
        var committed = Record("a", 4, "t") with { StateChangedAt = Start };
        foreach (var r in new[] { stalePending, freshPending, staleDeleting, committed })
        {
            await Index.TryAddAsync(r, default);
        }

        var found = new List<Guid>();
        await foreach (var record in Index.ListUnsettledAsync(Start.AddMinutes(30), default))
        {
            found.Add(record.ImageId);
        }

        Assert.Equal(Ids(stalePending, staleDeleting).Order(), found.Order());
    }

    [Fact]
    public async Task A_consistent_index_has_no_orphan_entries()
    {
        await Index.TryAddAsync(Record("alice", 1, "travel", "food"), default);

        var page = await Index.RemoveOrphanEntriesAsync(null, 1_000, default);

        Assert.Equal((0, null), (page.Removed, page.Next));
        Assert.Single(await ListIds(new IndexQuery(null, "food", 10)));
    }

    [Fact]
    public async Task The_orphan_clean_up_reads_the_index_in_bounded_pages_that_resume_where_they_stopped()
    {
        var records = Enumerable.Range(0, 7).Select(i => Record("alice", i, "travel")).ToList();
        foreach (var record in records)
        {
            await Index.TryAddAsync(record, default);
        }

        var pages = new List<OrphanEntriesPage>();
        string? from = null;
        do
        {
            var page = await Index.RemoveOrphanEntriesAsync(from, 2, default);
            pages.Add(page);
            from = page.Next;
        }
        while (from is not null && pages.Count < 100);

        Assert.All(pages, page => Assert.InRange(page.Read, 0, 2));
        Assert.InRange(pages.Count, 4, 99); // at least seven items in pages of two, and an end
        Assert.Equal(0, pages.Sum(p => p.Removed));
        Assert.Equal(records.Select(r => r.ImageId).Order(), (await ListIds(new IndexQuery(null, "travel", 10))).Order());
    }

    [Fact]
    public async Task The_probe_succeeds_on_a_working_index()
    {
        await Index.ProbeAsync(default);
    }

    private static List<Guid> Ids(params ImageRecord[] records) => [.. records.Select(r => r.ImageId)];

    private async Task<List<Guid>> ListIds(IndexQuery query) =>
        [.. (await Index.ListAsync(query, default)).Select(r => r.ImageId)];

    private static void AssertSame(ImageRecord expected, ImageRecord actual)
    {
        Assert.Equal(expected.ImageId, actual.ImageId);
        Assert.Equal(expected.UserId, actual.UserId);
        Assert.Equal(expected.Caption, actual.Caption);
        Assert.Equal(expected.Tags, actual.Tags);
        Assert.Equal(expected.CreatedAt, actual.CreatedAt);
        Assert.Equal((expected.Width, expected.Height), (actual.Width, actual.Height));
        Assert.Equal(expected.ContentType, actual.ContentType);
        Assert.Equal(expected.SizeBytes, actual.SizeBytes);
        Assert.Equal(expected.Sha256, actual.Sha256);
        Assert.Equal(expected.Variants, actual.Variants);
        Assert.Equal(expected.State, actual.State);
        Assert.Equal(expected.StateChangedAt, actual.StateChangedAt);
    }
}
