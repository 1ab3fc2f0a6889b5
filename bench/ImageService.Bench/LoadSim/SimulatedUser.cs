using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using ImageService.Core.Listing;

namespace ImageService.Bench.LoadSim;

/// <summary>
/// One person using the service, with a seeded random mix of their own: list pages 60 % (no filter 17, by tag 20, by
/// user 10, by user and tag 3, the next page of their last list 7, a deep page by cursor 3), views 25 %, uploads 8 %,
/// edits 4 % (of an image they viewed, with its ETag in If-Match), deletes 3 %. Tags come from <see cref="ZipfTags"/>.
/// An edit with nothing viewed yet, a delete with nothing left to delete and a next page with no last list fall back
/// to a view, a view and a first page.
/// </summary>
internal sealed partial class SimulatedUser(int number, int seed, HttpClient client, Catalogue catalogue, ZipfTags tags, IReadOnlyList<byte[]> photos, ActionLog log)
{
    private const int Remembered = 8;
    private readonly Random random = new(seed);
    private readonly string me = Catalogue.UserName(number);
    private readonly List<(Guid Id, string ETag, List<string> Tags, string Owner)> viewed = [];
    private (string Url, string? User, string? Tag, int Partitions)? nextPage;
    private int edits;

    public Task ActAsync(CancellationToken cancellationToken) => random.Next(100) switch
    {
        < 17 => ListAsync("list, no filter", null, null, cancellationToken),
        < 37 => ListAsync("list, by tag", null, tags.Draw(random), cancellationToken),
        < 47 => ListAsync("list, by user", Catalogue.UserName(random.Next(Catalogue.Users)), null, cancellationToken),
        < 50 => ListAsync("list, by user and tag", Catalogue.UserName(random.Next(Catalogue.Users)), tags.Draw(random), cancellationToken),
        < 57 => NextPageAsync(cancellationToken),
        < 60 => DeepPageAsync(cancellationToken),
        < 85 => ViewAsync(cancellationToken),
        < 93 => UploadAsync(cancellationToken),
        < 97 => EditAsync(cancellationToken),
        _ => DeleteAsync(cancellationToken),
    };

    private Task ListAsync(string label, string? user, string? tag, CancellationToken cancellationToken)
    {
        var query = new List<string>();
        if (user is not null)
        {
            query.Add($"user_id={user}");
        }

        if (tag is not null)
        {
            query.Add($"tag={tag}");
        }

        return PageAsync(label, "/images" + (query.Count > 0 ? "?" + string.Join('&', query) : ""), user, tag, cancellationToken);
    }

    private Task NextPageAsync(CancellationToken cancellationToken) => nextPage is { } next
        ? PageAsync("list, next page (Link)", next.Url, next.User, next.Tag, cancellationToken)
        : ListAsync("list, no filter", null, null, cancellationToken);

    /// <summary>A page from 200 to 2,000 images down (or as deep as the catalogue allows), of everything or of the hot tag:
    /// the cursor a person far down the grid, or a bookmark, would send.</summary>
    private Task DeepPageAsync(CancellationToken cancellationToken)
    {
        var hot = random.Next(2) == 0;
        var positions = hot ? catalogue.NewestOfHotTag : catalogue.Newest;
        var tag = hot ? ZipfTags.Hot : null;
        // At least a full page below the position, so the page is as full as any (a small catalogue has no 200 deep).
        var deepest = Math.Max(0, positions.Count - 1 - ImageListRequest.DefaultLimit);
        var depth = random.Next(Math.Min(200, deepest / 2), Math.Min(2_000, deepest) + 1);
        var cursor = ListCursor.Encode(positions[depth], null, tag);
        return PageAsync("list, deep page (cursor)", $"/images?cursor={cursor}" + (hot ? $"&tag={tag}" : ""), null, tag, cancellationToken);
    }

    private async Task PageAsync(string label, string url, string? user, string? tag, CancellationToken cancellationToken)
    {
        var action = log.Begin(ActionKind.List, label);
        action.User = user;
        action.Tag = tag;
        action.Partitions = user is null ? 4 : 1;
        using var response = await SendAsync(action, new HttpRequestMessage(HttpMethod.Get, url), cancellationToken);
        if (response?.IsSuccessStatusCode == true)
        {
            using var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync(cancellationToken));
            action.Items = body.RootElement.GetArrayLength();
            nextPage = response.Headers.TryGetValues("Link", out var links) && LinkTarget().Match(links.First()) is { Success: true } link
                ? (link.Groups[1].Value, user, tag, action.Partitions)
                : null;
        }

    }

    private async Task ViewAsync(CancellationToken cancellationToken)
    {
        if (catalogue.AnyLive(random) is not { } id)
        {
            await ListAsync("list, no filter", null, null, cancellationToken);
            return;
        }

        var action = log.Begin(ActionKind.View, "view");
        action.ImageId = id;
        using var response = await SendAsync(action, new HttpRequestMessage(HttpMethod.Get, $"/images/{id:D}"), cancellationToken);
        if (response?.IsSuccessStatusCode == true)
        {
            using var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync(cancellationToken));
            var root = body.RootElement;
            Remember(id, response.Headers.ETag?.ToString() ?? "*", [.. root.GetProperty("tags").EnumerateArray().Select(t => t.GetString()!)], root.GetProperty("user_id").GetString()!);
        }

    }

    private async Task UploadAsync(CancellationToken cancellationToken)
    {
        var action = log.Begin(ActionKind.Upload, "upload");
        action.User = me;
        action.Tags = tags.DrawSome(random);
        var metadata = JsonSerializer.Serialize(new { user_id = me, caption = $"A photo by {me}", tags = action.Tags });
        var file = new ByteArrayContent(photos[random.Next(photos.Count)]);
        file.Headers.ContentType = new MediaTypeHeaderValue("image/jpeg");
        var form = new MultipartFormDataContent { { file, "file", "photo.jpg" }, { new StringContent(metadata, Encoding.UTF8, "application/json"), "metadata" } };
        using var response = await SendAsync(action, new HttpRequestMessage(HttpMethod.Post, "/images") { Content = form }, cancellationToken);
        if (response?.IsSuccessStatusCode == true)
        {
            using var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync(cancellationToken));
            action.ImageId = Guid.Parse(body.RootElement.GetProperty("image_id").GetString()!);
            catalogue.Add(action.ImageId, me, action.Tags, withRenditions: true);
        }

    }

    /// <summary>A new caption and one tag swapped for a popular one (which may be one it has: then one edge moves, or none).</summary>
    private async Task EditAsync(CancellationToken cancellationToken)
    {
        if (viewed.Count == 0)
        {
            await ViewAsync(cancellationToken);
            return;
        }

        var at = random.Next(viewed.Count);
        var (id, etag, old, owner) = viewed[at];
        var changed = new List<string>(old);
        if (changed.Count > 0 && random.Next(4) != 0)
        {
            changed.RemoveAt(random.Next(changed.Count));
        }

        if (tags.Draw(random) is var added && !changed.Contains(added))
        {
            changed.Add(added);
        }

        var action = log.Begin(ActionKind.Edit, "edit");
        (action.ImageId, action.User, action.Tags, action.NewTags) = (id, owner, old, changed);
        var patch = new HttpRequestMessage(HttpMethod.Patch, $"/images/{id:D}")
        {
            Content = new StringContent(JsonSerializer.Serialize(new { caption = $"Edited by {me}, take {++edits}", tags = changed }), Encoding.UTF8, "application/merge-patch+json"),
        };
        patch.Headers.TryAddWithoutValidation("If-Match", etag);
        using var response = await SendAsync(action, patch, cancellationToken);
        viewed.RemoveAt(at);
        if (response?.IsSuccessStatusCode == true)
        {
            Remember(id, response.Headers.ETag?.ToString() ?? "*", changed, owner);
            catalogue.Retag(id, changed);
        }

    }

    private async Task DeleteAsync(CancellationToken cancellationToken)
    {
        if (catalogue.TakeToDelete(random) is not var (id, owner, tagsOf))
        {
            await ViewAsync(cancellationToken);
            return;
        }

        var action = log.Begin(ActionKind.Delete, "delete");
        (action.ImageId, action.User, action.Tags) = (id, owner, tagsOf);
        using var response = await SendAsync(action, new HttpRequestMessage(HttpMethod.Delete, $"/images/{id:D}"), cancellationToken);
    }

    private void Remember(Guid id, string etag, List<string> tagsOf, string owner)
    {
        viewed.RemoveAll(v => v.Id == id);
        viewed.Add((id, etag, tagsOf, owner));
        if (viewed.Count > Remembered)
        {
            viewed.RemoveAt(0);
        }
    }

    /// <summary>Sends with the action's number in <see cref="ActionLog.Header"/> and finishes the action when the whole
    /// answer has come (null when none did). Its clock starts here, after the generator's own preparations.</summary>
    private async Task<HttpResponseMessage?> SendAsync(SimAction action, HttpRequestMessage request, CancellationToken cancellationToken)
    {
        using (request)
        {
            request.Headers.Add(ActionLog.Header, action.Id.ToString(System.Globalization.CultureInfo.InvariantCulture));
            action.Restart();
            try
            {
                var response = await client.SendAsync(request, cancellationToken);
                await response.Content.LoadIntoBufferAsync(cancellationToken);
                log.Finish(action, (int)response.StatusCode);
                return response;
            }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
            {
                Console.WriteLine($"loadsim: {action.Label} got no answer: {e.Message}");
                log.Finish(action, 0);
                return null;
            }
        }
    }

    [GeneratedRegex("<([^>]+)>")]
    private static partial Regex LinkTarget();
}
