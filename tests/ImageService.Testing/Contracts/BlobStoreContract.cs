using System.Security.Cryptography;
using ImageService.Core.Ports;
using Xunit;

namespace ImageService.Testing.Contracts;

/// <summary>What every <see cref="IBlobStore"/> must do. Each backend's tests derive from this class once.</summary>
public abstract class BlobStoreContract : IAsyncLifetime
{
    private IBlobStore? store;

    protected IBlobStore Store => store ?? throw new InvalidOperationException("The store is created in InitializeAsync.");

    /// <summary>A new, empty store for one test.</summary>
    protected abstract Task<IBlobStore> CreateStoreAsync();

    protected virtual Task DestroyStoreAsync() => Task.CompletedTask;

    public async Task InitializeAsync() => store = await CreateStoreAsync();

    public Task DisposeAsync() => DestroyStoreAsync();

    [Fact]
    public async Task Stored_bytes_come_back_exactly()
    {
        var bytes = RandomNumberGenerator.GetBytes(5 * 1024 * 1024 + 17);
        await Store.PutAsync("images/a/original.jpg", new MemoryStream(bytes), "image/jpeg", default);

        await using var blob = await Store.OpenReadAsync("images/a/original.jpg", default);
        Assert.NotNull(blob);
        Assert.Equal(bytes.Length, blob.Length);
        Assert.Equal(bytes, await ReadAllAsync(blob.Stream));
        Assert.False(string.IsNullOrEmpty(blob.ETag));
    }

    [Fact]
    public async Task A_put_replaces_what_was_under_the_key()
    {
        await Store.PutAsync("images/b/display.webp", new MemoryStream([1, 2, 3]), "image/webp", default);
        await Store.PutAsync("images/b/display.webp", new MemoryStream([9, 8]), "image/webp", default);

        await using var blob = await Store.OpenReadAsync("images/b/display.webp", default);
        Assert.Equal([9, 8], await ReadAllAsync(blob!.Stream));
    }

    [Fact]
    public async Task A_missing_key_reads_as_null()
    {
        Assert.Null(await Store.OpenReadAsync("images/none/original.jpg", default));
    }

    [Fact]
    public async Task Delete_removes_the_blob_and_is_safe_to_repeat()
    {
        await Store.PutAsync("images/c/thumbnail.webp", new MemoryStream([1]), "image/webp", default);

        Assert.True(await Store.DeleteAsync("images/c/thumbnail.webp", default));
        Assert.Null(await Store.OpenReadAsync("images/c/thumbnail.webp", default));
        Assert.False(await Store.DeleteAsync("images/c/thumbnail.webp", default));
    }

    [Fact]
    public async Task Remove_takes_a_blob_away_and_a_missing_one_is_no_error()
    {
        await Store.PutAsync("images/r/display.webp", new MemoryStream([1]), "image/webp", default);

        await Store.RemoveAsync("images/r/display.webp", default);
        await Store.RemoveAsync("images/r/display.webp", default);

        Assert.Null(await Store.OpenReadAsync("images/r/display.webp", default));
        Assert.Empty(await Store.ListKeysAsync("images/r/", default).ToListAsync());
        await Assert.ThrowsAsync<ArgumentException>(() => Store.RemoveAsync("../escape", default));
    }

    [Fact]
    public async Task Listing_by_prefix_returns_exactly_the_matching_keys()
    {
        string[] keys = ["images/p1/original.jpg", "images/p1/display.webp", "images/p2/original.jpg"];
        foreach (var key in keys)
        {
            await Store.PutAsync(key, new MemoryStream([7]), "application/octet-stream", default);
        }

        var p1 = await Store.ListKeysAsync("images/p1/", default).ToListAsync();
        var all = await Store.ListKeysAsync("", default).ToListAsync();

        Assert.Equal(["images/p1/display.webp", "images/p1/original.jpg"], p1.Order());
        Assert.Equal(keys.Order(), all.Order());
    }

    [Fact]
    public async Task A_listing_is_in_ordinal_order_and_resumes_after_a_given_key()
    {
        // Keys shaped like real ones (folders of equal length): s3rver, unlike S3, orders a folder "a.b/" after "a/".
        string[] keys = ["images/b/original.jpg", "images/a/x.jpg", "images/a/display.webp", "images/c/original.jpg"];
        foreach (var key in keys)
        {
            await Store.PutAsync(key, new MemoryStream([7]), "application/octet-stream", default);
        }

        var all = await Store.ListKeysAsync("images/", default).ToListAsync();
        var rest = await Store.ListKeysAsync("images/", "images/a/x.jpg", default).ToListAsync();

        Assert.Equal(keys.Order(StringComparer.Ordinal), all);
        Assert.Equal(["images/b/original.jpg", "images/c/original.jpg"], rest);
        Assert.Empty(await Store.ListKeysAsync("images/", "images/c/original.jpg", default).ToListAsync());
    }

    [Fact]
    public async Task Concurrent_puts_of_different_keys_all_land()
    {
        var puts = Enumerable.Range(0, 16).Select(i =>
            Store.PutAsync($"images/many/{i}.bin", new MemoryStream([(byte)i]), "application/octet-stream", default));
        await Task.WhenAll(puts);

        var keys = await Store.ListKeysAsync("images/many/", default).ToListAsync();
        Assert.Equal(16, keys.Count);
    }

    [Theory]
    [InlineData("../escape.jpg")]
    [InlineData("images/../../escape.jpg")]
    [InlineData("/etc/passwd")]
    [InlineData("images//double.jpg")]
    [InlineData("images\\windows.jpg")]
    [InlineData("images/%2e%2e/x.jpg")]
    [InlineData("")]
    public async Task Keys_that_could_escape_the_store_are_refused(string key)
    {
        await Assert.ThrowsAsync<ArgumentException>(() => Store.PutAsync(key, new MemoryStream([1]), "image/jpeg", default));
        await Assert.ThrowsAsync<ArgumentException>(() => Store.OpenReadAsync(key, default));
        await Assert.ThrowsAsync<ArgumentException>(() => Store.DeleteAsync(key, default));
    }

    [Fact]
    public async Task The_probe_succeeds_on_a_working_store()
    {
        await Store.ProbeAsync(default);
    }

    private static async Task<byte[]> ReadAllAsync(Stream stream)
    {
        using var copy = new MemoryStream();
        await stream.CopyToAsync(copy);
        return copy.ToArray();
    }
}
