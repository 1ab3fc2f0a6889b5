using System.Net;
using System.Security.Cryptography;
using System.Text.Json;
using ImageService.Core.Images;
using ImageService.Core.Listing;
using ImageService.Core.Ports;
using ImageService.Testing;

namespace ImageService.Api.Tests.Processes;

/// <summary>The invariants of the consistency protocol, checked through the API and in the stores themselves.</summary>
public static class StoreInvariants
{
    /// <returns>The number of individual checks made.</returns>
    public static async Task<int> AssertAsync(Uri address, Workload workload, IBlobStore blobs, IImageIndex index)
    {
        using var http = new HttpClient { BaseAddress = address };
        var checks = 0;

        // Invariant 1: everything listed can be viewed, and its bytes are what the record's hash says.
        var listed = new List<string>();
        for (var url = "/images?limit=100"; url is not null;)
        {
            using var page = await http.GetAsync(url);
            listed.AddRange(JsonDocument.Parse(await page.Content.ReadAsStringAsync()).RootElement.EnumerateArray().Select(i => i.Str("image_id")));
            url = page.Headers.TryGetValues("Link", out var links) ? links.Single()[1..links.Single().IndexOf('>', StringComparison.Ordinal)] : null;
        }

        foreach (var id in listed)
        {
            var record = await index.GetAsync(Guid.Parse(id), default);
            Assert.NotNull(record);
            var view = await (await http.GetAsync($"/images/{id}")).JsonAsync();
            var bytes = await http.GetByteArrayAsync(view.Str("url"));
            Assert.Equal(record.Sha256, Convert.ToHexStringLower(SHA256.HashData(bytes)));
            checks += 2;
        }

        // Invariant 2: every acknowledged upload nobody tried to delete is listed. Invariant 5: acknowledged deletes
        // stay deleted. A delete cut off by a crash may or may not have taken effect; either is correct.
        foreach (var (id, _) in workload.Uploaded)
        {
            var deleted = workload.Deleted.ContainsKey(id);
            if (!deleted && workload.DeleteAttempted.ContainsKey(id))
            {
                continue;
            }

            Assert.True(deleted != listed.Contains(id), $"{id}: acknowledged {(deleted ? "delete" : "upload")}, but it is {(deleted ? "" : "not ")}listed");
            if (deleted)
            {
                using var view = await http.GetAsync($"/images/{id}");
                Assert.Equal(HttpStatusCode.NotFound, view.StatusCode);
            }

            checks++;
        }

        // Invariant 3: no blob without a committed record, no committed record without its blobs, nothing unsettled.
        var keys = new HashSet<string>(await blobs.AllKeysAsync());
        foreach (var key in keys)
        {
            var owner = await index.GetAsync(Guid.Parse(key.Split('/')[1]), default);
            Assert.True(owner is { State: ImageState.Committed }, $"blob {key} has no committed record");
            checks++;
        }

        foreach (var record in await index.AllCommittedAsync())
        {
            Assert.All(record.Variants, v => Assert.Contains(v.Key, keys));
            checks++;
        }

        Assert.Empty((await index.AllUnsettledAsync()).Select(unsettled => $"{unsettled.ImageId} is still {unsettled.State} after a sweep"));

        return checks;
    }
}
