using System.Net;
using ImageService.Testing;
using Microsoft.Extensions.DependencyInjection;

namespace ImageService.Api.Tests;

/// <summary>The embedded backend takes direct uploads' files itself (POST /uploads/{id}/file): it must enforce what
/// S3 enforces with a POST policy, while streaming, and keep nothing it refused.</summary>
public sealed class DirectUploadFormTests
{
    [Fact]
    public async Task The_form_takes_exactly_the_declared_file_and_answers_like_S3()
    {
        using var service = new ServiceFactory();
        using var client = service.CreateClient();
        var photo = TestImages.Jpeg(320, 240);
        var started = await client.StartOkAsync(photo, withSha256: true);

        using var posted = await client.PostFileAsync(started, photo);

        Assert.Equal(HttpStatusCode.NoContent, posted.StatusCode);
        Assert.Equal([$"uploads/{started.Str("upload_id")}"], await service.Services.GetRequiredService<Core.Ports.IBlobStore>().AllKeysAsync("uploads/"));
    }

    public static TheoryData<string, int, string> Refusals => new()
    {
        { "larger file", 413, "larger than the" },
        { "shorter file", 400, "fewer than the" },
        { "corrupted file", 400, "corrupted on the way" },
        { "altered signature", 403, "not valid" },
        { "altered policy", 403, "not valid" },
        { "other key", 403, "must be the ones it was signed for" },
        { "other content type", 403, "must be the ones it was signed for" },
        { "no policy", 403, "not valid" },
        { "another upload's form", 403, "not valid" },
        { "expired", 403, "expired at" },
    };

    [Theory]
    [MemberData(nameof(Refusals))]
    public async Task A_form_that_breaks_its_policy_is_refused_and_nothing_is_kept(string breach, int status, string detail)
    {
        using var service = new ServiceFactory();
        using var client = service.CreateClient();
        var photo = TestImages.Jpeg(320, 240);
        var started = await client.StartOkAsync(photo, withSha256: true);
        var other = await client.StartOkAsync(TestImages.Jpeg(64, 64));
        var file = breach switch
        {
            "larger file" => [.. photo, 0],
            "shorter file" => photo[..^1],
            "corrupted file" => Flip(photo),
            _ => photo,
        };
        if (breach == "expired")
        {
            service.Clock.Advance(TimeSpan.FromSeconds(901));
        }

        using var posted = await client.PostFileAsync(started, file, fields =>
        {
            switch (breach)
            {
                case "altered signature": fields["signature"] = new string('0', 64); break;
                case "altered policy": fields["policy"] = fields["policy"][..^2] + "AA"; break;
                case "other key": fields["key"] = "images/evil"; break;
                case "other content type": fields["Content-Type"] = "text/html"; break;
                case "no policy": fields.Remove("policy"); break;
                case "another upload's form":
                    fields["policy"] = other.GetProperty("fields").Str("policy");
                    fields["signature"] = other.GetProperty("fields").Str("signature");
                    break;
            }
        });
        using var complete = await client.CompleteAsync(started);

        await posted.AssertProblemAsync(status, detail);
        await complete.AssertProblemAsync(409, "has not arrived");
        Assert.Empty(await service.LeftoversAsync());
        Assert.Equal(0, await client.CountAsync());
    }

    private static byte[] Flip(byte[] bytes)
    {
        var copy = bytes.ToArray();
        copy[copy.Length / 2] ^= 0xFF;
        return copy;
    }
}
