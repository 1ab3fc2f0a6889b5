using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using ImageService.Testing;
using ImageService.Testing.Aws;

namespace ImageService.Api.Tests;

/// <summary>PATCH /images/{id}: a JSON merge patch of caption, tags and alt text, with ETag / If-Match, on both engines.
/// What a user notices: the change shows in the view and in every list at once, a stale edit is refused and changes
/// nothing, of two edits from one version exactly one lands, and a mistake is a 400 that names the field.</summary>
public abstract class EditTests(Backend backend)
{
    [Fact]
    public async Task A_patch_changes_only_the_fields_it_names_and_answers_the_record_as_GET_gives_it_with_a_new_ETag()
    {
        using var service = await ServiceFactory.StartAsync(backend);
        using var client = service.CreateClient();
        var uploaded = await client.UploadOkAsync(TestImages.Jpeg(64, 48), """{"user_id":"123","caption":"Beach","tags":["travel"],"alt_text":"Sand"}""");
        var id = uploaded.Str("image_id");
        using var before = await client.GetAsync($"/images/{id}");
        var etag = before.Headers.ETag!.Tag;
        service.Clock.Advance(TimeSpan.FromMinutes(5));

        using var patched = await client.PatchAsync(id, """{"alt_text":"A dog asleep on the sand"}""");
        var body = await patched.JsonAsync();
        using var after = await client.GetAsync($"/images/{id}");
        var view = await after.JsonAsync();

        Assert.Equal(HttpStatusCode.OK, patched.StatusCode);
        Assert.Equal("A dog asleep on the sand", body.Str("alt_text"));
        Assert.Equal("Beach", body.Str("caption"));
        Assert.Equal(["travel"], Tags(body));
        Assert.NotEqual(etag, patched.Headers.ETag!.Tag);
        Assert.Equal(patched.Headers.ETag.Tag, after.Headers.ETag!.Tag);
        Assert.False(patched.Headers.ETag.IsWeak);
        Assert.Equal(view.Str("alt_text"), body.Str("alt_text"));
        Assert.Equal(uploaded.Str("created_at"), body.Str("created_at"));
        Assert.Equal(DateTimeOffset.Parse(uploaded.Str("created_at")).AddMinutes(5), DateTimeOffset.Parse(view.Str("updated_at")), TimeSpan.FromSeconds(1));
        Assert.Equal(uploaded.Str("sha256"), view.Str("sha256"));
        using var download = await service.DownloadAsync(client, body.Str("url"));
        Assert.Equal(HttpStatusCode.OK, download.StatusCode);
    }

    [Fact]
    public async Task Lists_follow_the_tags_at_once_a_removed_tag_never_finds_the_image_and_an_added_one_does()
    {
        using var service = await ServiceFactory.StartAsync(backend);
        using var client = service.CreateClient();
        var other = (await client.UploadOkAsync(TestImages.Jpeg(32, 32), """{"user_id":"7","tags":["beach","food"]}""")).Str("image_id");
        var id = (await client.UploadOkAsync(TestImages.Jpeg(64, 48), """{"user_id":"123","caption":"Day out #sunset","tags":["travel","beach"]}""")).Str("image_id");

        using var patched = await client.PatchAsync(id, """{"caption":"Dinner #pasta","tags":["food"]}""");
        var body = await patched.JsonAsync();

        Assert.Equal(["food", "pasta"], Tags(body));
        foreach (var gone in new[] { "travel", "beach", "sunset" })
        {
            Assert.DoesNotContain(id, await client.ListIdsAsync($"/images?tag={gone}"));
            Assert.DoesNotContain(id, await client.ListIdsAsync($"/images?tag={gone}&user_id=123"));
        }

        Assert.Equal([id, other], await client.ListIdsAsync("/images?tag=food"));
        Assert.Equal([id], await client.ListIdsAsync("/images?tag=pasta&user_id=123"));
        Assert.Equal([other], await client.ListIdsAsync("/images?tag=beach"));
        Assert.Equal([id, other], await client.ListIdsAsync("/images"));

        // Back again: the tag removed a moment ago finds the image once more.
        using var again = await client.PatchAsync(id, """{"tags":["beach"]}""");
        Assert.Equal(HttpStatusCode.OK, again.StatusCode);
        Assert.Equal([id, other], await client.ListIdsAsync("/images?tag=beach"));
        Assert.Equal([id], await client.ListIdsAsync("/images?tag=pasta")); // the caption still says #pasta
        Assert.Empty(await client.ListIdsAsync("/images?tag=food&user_id=123"));
    }

    [Fact]
    public async Task Null_removes_a_field_and_the_hashtags_of_the_caption_stay_among_the_tags()
    {
        using var service = await ServiceFactory.StartAsync(backend);
        using var client = service.CreateClient();
        var id = (await client.UploadOkAsync(TestImages.Jpeg(32, 32), """{"user_id":"123","caption":"Hello #world","tags":["a"],"alt_text":"x"}""")).Str("image_id");

        var noTags = await (await client.PatchAsync(id, """{"tags":null,"alt_text":null}""")).JsonAsync();
        var noCaption = await (await client.PatchAsync(id, """{"caption":null,"tags":[]}""")).JsonAsync();

        Assert.Equal(["world"], Tags(noTags));
        Assert.Equal(JsonValueKind.Null, noTags.GetProperty("alt_text").ValueKind);
        Assert.Equal("", noCaption.Str("caption"));
        Assert.Empty(Tags(noCaption));
        Assert.Empty(await client.ListIdsAsync("/images?tag=world"));
    }

    [Fact]
    public async Task A_patch_that_changes_nothing_keeps_the_version_and_its_ETag()
    {
        using var service = await ServiceFactory.StartAsync(backend);
        using var client = service.CreateClient();
        var id = (await client.UploadOkAsync(TestImages.Jpeg(32, 32))).Str("image_id");
        using var view = await client.GetAsync($"/images/{id}");

        using var same = await client.PatchAsync(id, """{"caption":"  Beach vibes #sunset  ","tags":["TRAVEL","#beach"]}""", view.Headers.ETag!.Tag);
        using var empty = await client.PatchAsync(id, "{}", view.Headers.ETag.Tag);

        Assert.Equal(HttpStatusCode.OK, same.StatusCode);
        Assert.Equal(view.Headers.ETag.Tag, same.Headers.ETag!.Tag);
        Assert.Equal(view.Headers.ETag.Tag, empty.Headers.ETag!.Tag);
    }

    [Fact]
    public async Task An_If_Match_naming_an_older_version_is_412_and_changes_nothing()
    {
        using var service = await ServiceFactory.StartAsync(backend);
        using var client = service.CreateClient();
        var id = (await client.UploadOkAsync(TestImages.Jpeg(32, 32), """{"user_id":"123","caption":"First","tags":["old"]}""")).Str("image_id");
        using var read = await client.GetAsync($"/images/{id}");
        var first = read.Headers.ETag!.Tag;
        using var second = await client.PatchAsync(id, """{"caption":"Second"}""", first);

        using var stale = await client.PatchAsync(id, """{"caption":"Third","tags":["new"]}""", first);
        using var weak = await client.PatchAsync(id, """{"caption":"Third"}""", "W/" + second.Headers.ETag!.Tag);
        using var anyVersion = await client.PatchAsync(id, """{"alt_text":"Any"}""", "*");
        var view = await (await client.GetAsync($"/images/{id}")).JsonAsync();

        await stale.AssertProblemAsync(412, "was changed since the version your If-Match names");
        await weak.AssertProblemAsync(412, "was changed since");
        Assert.Equal(HttpStatusCode.OK, anyVersion.StatusCode);
        Assert.Equal("Second", view.Str("caption"));
        Assert.Equal(["old"], Tags(view));
        Assert.Empty(await client.ListIdsAsync("/images?tag=new"));
        Assert.Equal([id], await client.ListIdsAsync("/images?tag=old"));
    }

    [Fact]
    public async Task Of_concurrent_patches_from_one_version_exactly_one_lands_and_the_lists_show_only_its_tags()
    {
        using var service = await ServiceFactory.StartAsync(backend);
        using var client = service.CreateClient();
        var id = (await client.UploadOkAsync(TestImages.Jpeg(32, 32), """{"user_id":"123","tags":["start"]}""")).Str("image_id");
        using var read = await client.GetAsync($"/images/{id}");
        var etag = read.Headers.ETag!.Tag;

        const int Editors = 8;
        var answers = await Task.WhenAll(Enumerable.Range(0, Editors).Select(i =>
            client.PatchAsync(id, $$"""{"caption":"Editor {{i}}","tags":["edit{{i}}"]}""", etag)));
        var codes = answers.Select(a => (int)a.StatusCode).ToList();
        var winner = Array.FindIndex(answers, a => a.StatusCode == HttpStatusCode.OK);
        var view = await (await client.GetAsync($"/images/{id}")).JsonAsync();

        Assert.Equal(1, codes.Count(c => c == 200));
        Assert.Equal(Editors - 1, codes.Count(c => c == 412));
        Assert.Equal($"Editor {winner}", view.Str("caption"));
        for (var i = 0; i < Editors; i++)
        {
            Assert.Equal(i == winner ? [id] : [], await client.ListIdsAsync($"/images?tag=edit{i}"));
        }

        Assert.Empty(await client.ListIdsAsync("/images?tag=start"));
        foreach (var answer in answers)
        {
            answer.Dispose();
        }
    }

    [Fact]
    public async Task Concurrent_patches_without_If_Match_all_land_one_after_another_and_the_last_one_is_what_lists_show()
    {
        using var service = await ServiceFactory.StartAsync(backend);
        using var client = service.CreateClient();
        var id = (await client.UploadOkAsync(TestImages.Jpeg(32, 32), """{"user_id":"123"}""")).Str("image_id");

        const int Editors = 4;
        var answers = await Task.WhenAll(Enumerable.Range(0, Editors).Select(i => client.PatchAsync(id, $$"""{"tags":["t{{i}}"]}""")));
        var view = await (await client.GetAsync($"/images/{id}")).JsonAsync();
        var final = Tags(view).Single();

        Assert.All(answers, a => Assert.Equal(HttpStatusCode.OK, a.StatusCode));
        Assert.Equal(Editors + 1, view.GetProperty("version").GetInt64());
        for (var i = 0; i < Editors; i++)
        {
            Assert.Equal($"t{i}" == final ? [id] : [], await client.ListIdsAsync($"/images?tag=t{i}"));
        }
    }

    public static TheoryData<string, string> BadPatches => new()
    {
        { """{"user_id":"999"}""", "'user_id' cannot be changed: a PATCH may change only caption, tags, alt_text" },
        { """{"caption":"ok","created_at":"2020-01-01T00:00:00Z"}""", "'created_at' cannot be changed" },
        { """{"captoin":"typo"}""", "'captoin' cannot be changed" },
        { """{"caption":42}""", "'caption' must be a string, not a number" },
        { """{"tags":"travel"}""", "'tags' must be an array of strings" },
        { """{"tags":["ok",7]}""", "'tags[1]' must be a string" },
        { """{"tags":["not a tag!"]}""", "'tags[0]' is not a valid tag" },
        { """{"alt_text":{"text":"x"}}""", "'alt_text' must be a string, not an object" },
        { """{"alt_text":"bell\u0007"}""", "'alt_text' contains control characters" },
        { """["caption"]""", "must be a JSON object with the fields to change, not an array" },
        { """{"caption":""", "The body is not valid JSON" },
        { "", "The body is not valid JSON" },
        { """{"caption":"a","caption":"b"}""", "The body is not valid JSON" },
        { """{"caption":"half a pair \ud83d"}""", "'caption' is not valid text: it holds half of a UTF-16 surrogate pair" },
        { """{"tags":["\udc00"]}""", "'tags[0]' is not valid text" },
    };

    [Theory]
    [MemberData(nameof(BadPatches))]
    public async Task A_patch_with_a_field_it_may_not_change_or_a_wrong_value_is_400_naming_the_field_and_changes_nothing(string patch, string detail)
    {
        using var service = await ServiceFactory.StartAsync(backend);
        using var client = service.CreateClient();
        var id = (await client.UploadOkAsync(TestImages.Jpeg(32, 32))).Str("image_id");
        using var read = await client.GetAsync($"/images/{id}");

        using var response = await client.PatchAsync(id, patch);
        using var after = await client.GetAsync($"/images/{id}");

        await response.AssertProblemAsync(400, detail);
        Assert.Equal(read.Headers.ETag!.Tag, after.Headers.ETag!.Tag);
        Assert.Equal("123", (await after.JsonAsync()).Str("user_id"));
    }

    [Fact]
    public async Task Limits_of_an_upload_hold_for_an_edit_caption_length_tag_count_and_body_size()
    {
        using var service = await ServiceFactory.StartAsync(backend);
        using var client = service.CreateClient();
        var id = (await client.UploadOkAsync(TestImages.Jpeg(32, 32))).Str("image_id");
        var tooManyTags = string.Join(",", Enumerable.Range(0, 31).Select(i => $"\"t{i}\""));

        using var longCaption = await client.PatchAsync(id, $$"""{"caption":"{{new string('a', 2201)}}"}""");
        using var manyTags = await client.PatchAsync(id, $$"""{"tags":[{{tooManyTags}}]}""");
        using var huge = await client.PatchAsync(id, $$"""{"caption":"{{new string('a', 100_000)}}"}""");

        await longCaption.AssertProblemAsync(400, "'caption' has 2201 characters; the limit is");
        await manyTags.AssertProblemAsync(400, "distinct tags");
        await huge.AssertProblemAsync(413, "bytes an edit may take");
        Assert.Equal("Beach vibes #sunset", (await (await client.GetAsync($"/images/{id}")).JsonAsync()).Str("caption"));
    }

    [Fact]
    public async Task A_body_that_is_not_JSON_is_415_an_unknown_image_404_and_a_malformed_If_Match_400()
    {
        using var service = await ServiceFactory.StartAsync(backend);
        using var client = service.CreateClient();
        var id = (await client.UploadOkAsync(TestImages.Jpeg(32, 32))).Str("image_id");

        using var text = await client.SendAsync(new HttpRequestMessage(HttpMethod.Patch, $"/images/{id}")
        {
            Content = new StringContent("caption=x", Encoding.UTF8, "application/x-www-form-urlencoded"),
        });
        using var unknown = await client.PatchAsync(Guid.CreateVersion7().ToString(), """{"caption":"x"}""");
        using var badId = await client.PatchAsync("not-an-id", """{"caption":"x"}""");
        using var unquoted = await client.PatchAsync(id, """{"caption":"x"}""", "v1", validate: false);
        using var untyped = await client.SendAsync(new HttpRequestMessage(HttpMethod.Patch, $"/images/{id}")
        {
            Content = new ByteArrayContent(Encoding.UTF8.GetBytes("""{"caption":"x"}""")),
        });
        using var plainJson = await client.SendAsync(new HttpRequestMessage(HttpMethod.Patch, $"/images/{id}")
        {
            Content = new StringContent("""{"caption":"plain"}""", Encoding.UTF8, "application/json"),
        });

        await text.AssertProblemAsync(415, "does not accept Content-Type 'application/x-www-form-urlencoded; charset=utf-8'. PATCH /images/{image_id} takes application/merge-patch+json");
        await untyped.AssertProblemAsync(415, "takes application/merge-patch+json");
        await unknown.AssertProblemAsync(404, "There is no image with id");
        await badId.AssertProblemAsync(400, "is not an image id");
        await unquoted.AssertProblemAsync(400, "If-Match holds 'v1'");
        Assert.Equal("plain", (await plainJson.JsonAsync()).Str("caption"));
    }

    [Fact]
    public async Task If_Match_is_compared_character_for_character_an_empty_one_is_400_and_a_body_that_is_not_UTF8_is_400()
    {
        using var service = await ServiceFactory.StartAsync(backend);
        using var client = service.CreateClient();
        var id = (await client.UploadOkAsync(TestImages.Jpeg(32, 32))).Str("image_id");

        using var padded = await client.PatchAsync(id, """{"caption":"x"}""", "\"v01\"");
        using var listed = await client.PatchAsync(id, """{"caption":"listed"}""", "\"v7\", \"v1\"", validate: false);
        using var empty = await client.PatchAsync(id, """{"caption":"x"}""", " , ", validate: false);
        using var latin1 = await client.SendAsync(new HttpRequestMessage(HttpMethod.Patch, $"/images/{id}")
        {
            Content = new ByteArrayContent([.. "{\"caption\":\"caf"u8, 0xE9, .. "\"}"u8]) { Headers = { ContentType = new MediaTypeHeaderValue("application/merge-patch+json") } },
        });

        await padded.AssertProblemAsync(412, "was changed since");
        Assert.Equal("listed", (await listed.JsonAsync()).Str("caption"));
        await empty.AssertProblemAsync(400, "If-Match is empty");
        await latin1.AssertProblemAsync(400, "not valid UTF-8");
    }

    [Fact]
    public async Task A_deleted_image_cannot_be_edited_and_an_edit_never_brings_it_back()
    {
        using var service = await ServiceFactory.StartAsync(backend);
        using var client = service.CreateClient();
        var id = (await client.UploadOkAsync(TestImages.Jpeg(32, 32))).Str("image_id");
        using var read = await client.GetAsync($"/images/{id}");
        (await client.DeleteAsync($"/images/{id}")).Dispose();

        using var edit = await client.PatchAsync(id, """{"tags":["back"]}""");
        using var conditional = await client.PatchAsync(id, """{"tags":["back"]}""", read.Headers.ETag!.Tag);

        await edit.AssertProblemAsync(404, "There is no image with id");
        await conditional.AssertProblemAsync(404, "There is no image with id");
        Assert.Empty(await client.ListIdsAsync("/images?tag=back"));
        Assert.Equal(HttpStatusCode.NotFound, (await client.GetAsync($"/images/{id}")).StatusCode);
    }

    private static List<string> Tags(JsonElement image) => [.. image.GetProperty("tags").EnumerateArray().Select(t => t.GetString()!)];
}

public sealed class LocalEditTests() : EditTests(Backend.Local);

[Collection(EmulatorGroup.Name)]
public sealed class AwsEditTests(AwsEmulators emulators) : EditTests(new AwsBackend(emulators));

/// <summary>Who may edit in Jwt mode, and how often.</summary>
public sealed class EditAccessTests
{
    [Fact]
    public async Task In_Jwt_mode_only_the_owner_edits_another_user_gets_403_and_no_token_401()
    {
        using var service = AuthTests.Start();
        using var owner = AuthTests.Authorized(service, AuthTests.Token("alice"));
        using var stranger = AuthTests.Authorized(service, AuthTests.Token("mallory"));
        using var anonymous = service.CreateClient();
        var id = (await owner.UploadOkAsync(TestImages.Jpeg(32, 32), """{"caption":"Mine","tags":["mine"]}""")).Str("image_id");

        using var foreign = await stranger.PatchAsync(id, """{"caption":"Pwned","tags":["pwned"]}""");
        using var noToken = await anonymous.PatchAsync(id, """{"caption":"Pwned"}""");
        using var own = await owner.PatchAsync(id, """{"caption":"Still mine"}""");

        await foreign.AssertProblemAsync(403, "you can only edit your own images");
        Assert.Equal(HttpStatusCode.Unauthorized, noToken.StatusCode);
        Assert.Equal("Still mine", (await own.JsonAsync()).Str("caption"));
        Assert.Empty(await anonymous.ListIdsAsync("/images?tag=pwned"));
    }

    [Fact]
    public async Task Edits_are_rate_limited_per_address_with_a_429_problem_and_Retry_After()
    {
        using var service = new ServiceFactory(new() { ["RateLimits:EditsPerMinutePerAddress"] = "2" });
        using var client = service.CreateClient();
        var id = (await client.UploadOkAsync(TestImages.Jpeg(32, 32))).Str("image_id");

        using var first = await client.PatchAsync(id, """{"caption":"1"}""");
        using var second = await client.PatchAsync(id, """{"caption":"2"}""");
        using var third = await client.PatchAsync(id, """{"caption":"3"}""");
        using var upload = await client.UploadAsync(TestImages.Jpeg(32, 32));

        Assert.Equal(HttpStatusCode.OK, second.StatusCode);
        await third.AssertProblemAsync(429, "Too many edits in the last minute");
        Assert.NotNull(third.Headers.RetryAfter);
        Assert.Equal(HttpStatusCode.Created, upload.StatusCode); // edits have their own buckets
        Assert.Equal("2", (await (await client.GetAsync($"/images/{id}")).JsonAsync()).Str("caption"));
    }
}

public static class EditApi
{
    /// <summary>A PATCH with a merge-patch body and, when given, an If-Match (sent as is when <paramref name="validate"/> is off).</summary>
    public static Task<HttpResponseMessage> PatchAsync(this HttpClient client, string imageId, string patch, string? ifMatch = null, bool validate = true)
    {
        var request = new HttpRequestMessage(HttpMethod.Patch, $"/images/{imageId}")
        {
            Content = new StringContent(patch, Encoding.UTF8, "application/merge-patch+json"),
        };
        if (ifMatch is not null)
        {
            if (validate)
            {
                request.Headers.IfMatch.Add(ifMatch == "*" ? EntityTagHeaderValue.Any : EntityTagHeaderValue.Parse(ifMatch));
            }
            else
            {
                request.Headers.TryAddWithoutValidation("If-Match", ifMatch);
            }
        }

        return client.SendAsync(request);
    }
}
