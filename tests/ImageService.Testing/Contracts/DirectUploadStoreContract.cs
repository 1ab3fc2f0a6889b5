using ImageService.Core;
using ImageService.Core.Ports;
using ImageService.Core.Uploads;
using Xunit;

namespace ImageService.Testing.Contracts;

/// <summary>What every <see cref="IDirectUploadStore"/> must do. Each backend's tests derive from this class once.</summary>
public abstract class DirectUploadStoreContract : IAsyncLifetime
{
    private static readonly DateTimeOffset Now = DateTimeOffset.FromUnixTimeMilliseconds(DateTimeOffset.UtcNow.ToUnixTimeMilliseconds());
    private IDirectUploadStore? store;

    protected IDirectUploadStore Store => store ?? throw new InvalidOperationException("The store is created in InitializeAsync.");

    protected abstract Task<IDirectUploadStore> CreateStoreAsync();

    public async Task InitializeAsync() => store = await CreateStoreAsync();

    public Task DisposeAsync() => Task.CompletedTask;

    public static DirectUpload NewUpload(string? sha256 = "ab12", DateTimeOffset? createdAt = null)
    {
        var created = createdAt ?? Now;
        return new DirectUpload(Guid.CreateVersion7(), "u1", Authenticated: true, """{"user_id":"u1","caption":"Beach 🌊","size_bytes":2048}""",
            2048, "image/jpeg", sha256, created, created.AddMinutes(15), created.AddMinutes(75));
    }

    [Fact]
    public async Task An_added_upload_reads_back_field_for_field_and_is_added_once()
    {
        var upload = NewUpload();
        var unhashed = NewUpload(sha256: null) with { Authenticated = false };

        Assert.True(await Store.TryAddAsync(upload, default));
        Assert.True(await Store.TryAddAsync(unhashed, default));
        Assert.False(await Store.TryAddAsync(upload with { UserId = "someone-else" }, default));

        Assert.Equal(upload, await Store.GetAsync(upload.UploadId, default));
        Assert.Equal(unhashed, await Store.GetAsync(unhashed.UploadId, default));
        Assert.Null(await Store.GetAsync(Guid.NewGuid(), default));
    }

    [Fact]
    public async Task An_upload_completes_once_with_one_image_and_a_retry_of_that_write_still_succeeds()
    {
        var upload = NewUpload();
        await Store.TryAddAsync(upload, default);
        var image = Guid.NewGuid();

        Assert.True(await Store.CompleteAsync(upload.UploadId, image, default));
        Assert.True(await Store.CompleteAsync(upload.UploadId, image, default));
        Assert.False(await Store.CompleteAsync(upload.UploadId, Guid.NewGuid(), default));
        Assert.False(await Store.FailAsync(upload.UploadId, new DirectUploadFailure(ImageErrorKind.TooLarge, "late"), default));

        var stored = await Store.GetAsync(upload.UploadId, default);
        Assert.Equal(image, stored!.ImageId);
        Assert.Null(stored.Failure);
        Assert.False(stored.IsOpen);
    }

    [Fact]
    public async Task A_failed_upload_keeps_its_first_failure_and_never_completes()
    {
        var upload = NewUpload();
        await Store.TryAddAsync(upload, default);
        var failure = new DirectUploadFailure(ImageErrorKind.UnsupportedFormat, "The file is image/png, but the upload declared image/jpeg.");

        Assert.True(await Store.FailAsync(upload.UploadId, failure, default));
        Assert.True(await Store.FailAsync(upload.UploadId, new DirectUploadFailure(ImageErrorKind.TooLarge, "another"), default));
        Assert.False(await Store.CompleteAsync(upload.UploadId, Guid.NewGuid(), default));

        var stored = await Store.GetAsync(upload.UploadId, default);
        Assert.Equal(failure, stored!.Failure);
        Assert.Null(stored.ImageId);
    }

    [Fact]
    public async Task Ending_an_upload_that_does_not_exist_changes_nothing()
    {
        var missing = Guid.NewGuid();

        Assert.False(await Store.CompleteAsync(missing, Guid.NewGuid(), default));
        Assert.False(await Store.FailAsync(missing, new DirectUploadFailure(ImageErrorKind.TooLarge, "x"), default));
        Assert.Null(await Store.GetAsync(missing, default));
    }

    [Fact]
    public async Task One_caller_at_a_time_may_mark_an_open_upload_completing_and_a_lapsed_or_released_mark_is_free_again()
    {
        var upload = NewUpload();
        await Store.TryAddAsync(upload, default);

        var marks = await Task.WhenAll(Enumerable.Range(0, 6).Select(i => Store.TryMarkCompletingAsync(upload.UploadId, $"o{i}", Now.AddSeconds(15), Now, default)));
        var whileHeld = await Store.TryMarkCompletingAsync(upload.UploadId, "late", Now.AddSeconds(30), Now.AddSeconds(14), default);
        var lapsed = await Store.TryMarkCompletingAsync(upload.UploadId, "after", Now.AddSeconds(31), Now.AddSeconds(16), default);
        await Store.ReleaseCompletingAsync(upload.UploadId, "someone-else", default);
        var notReleasedByOthers = await Store.TryMarkCompletingAsync(upload.UploadId, "third", Now.AddSeconds(40), Now.AddSeconds(17), default);
        await Store.ReleaseCompletingAsync(upload.UploadId, "after", default);
        var released = await Store.TryMarkCompletingAsync(upload.UploadId, "fourth", Now.AddSeconds(40), Now.AddSeconds(17), default);
        await Store.CompleteAsync(upload.UploadId, Guid.NewGuid(), default);
        var ended = await Store.TryMarkCompletingAsync(upload.UploadId, "fifth", Now.AddSeconds(99), Now.AddSeconds(60), default);

        Assert.Equal(1, marks.Count(m => m));
        Assert.False(whileHeld);
        Assert.True(lapsed);
        Assert.False(notReleasedByOthers);
        Assert.True(released);
        Assert.False(ended);
        Assert.False(await Store.TryMarkCompletingAsync(Guid.NewGuid(), "none", Now.AddSeconds(15), Now, default));
    }

    [Fact]
    public async Task Of_many_completes_at_once_with_different_images_exactly_one_wins()
    {
        var upload = NewUpload();
        await Store.TryAddAsync(upload, default);
        var images = Enumerable.Range(0, 8).Select(_ => Guid.NewGuid()).ToArray();

        var won = await Task.WhenAll(images.Select(image => Store.CompleteAsync(upload.UploadId, image, default)));

        Assert.Equal(1, won.Count(w => w));
        Assert.Equal(images[Array.IndexOf(won, true)], (await Store.GetAsync(upload.UploadId, default))!.ImageId);
    }
}
