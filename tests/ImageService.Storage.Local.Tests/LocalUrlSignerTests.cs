using System.Web;
using ImageService.Core.Ports;

namespace ImageService.Storage.Local.Tests;

public sealed class LocalUrlSignerTests
{
    private static readonly DateTimeOffset Now = new(2026, 6, 1, 10, 0, 0, TimeSpan.Zero);
    private readonly LocalUrlSigner signer = new(Enumerable.Range(0, 32).Select(i => (byte)i).ToArray());

    [Fact]
    public async Task A_fresh_link_verifies_until_it_expires()
    {
        var parts = await SignAsync(Now.AddMinutes(10));

        Assert.Equal(SignedLinkStatus.Valid, Verify(parts, Now));
        Assert.Equal(SignedLinkStatus.Valid, Verify(parts, Now.AddMinutes(10).AddSeconds(-1)));
        Assert.Equal(SignedLinkStatus.Expired, Verify(parts, Now.AddMinutes(10)));
    }

    [Theory]
    [InlineData("key")]
    [InlineData("exp")]
    [InlineData("ct")]
    [InlineData("fn")]
    [InlineData("sig")]
    public async Task Changing_any_part_of_a_link_invalidates_it(string part)
    {
        var parts = await SignAsync(Now.AddMinutes(10));
        parts[part] = part == "exp" ? (long.Parse(parts[part]!) + 3600).ToString() : parts[part] + "x";

        Assert.Equal(SignedLinkStatus.Invalid, Verify(parts, Now));
    }

    [Fact]
    public async Task A_link_signed_with_another_key_is_invalid()
    {
        var other = new LocalUrlSigner(new byte[32]);
        var url = await other.SignDownloadAsync(new BlobDownload("images/x/original.jpg", "image/jpeg", "x.jpg"), Now.AddHours(1), default);

        Assert.Equal(SignedLinkStatus.Invalid, Verify(Parse(url), Now));
    }

    [Fact]
    public void A_generated_key_is_kept_and_reused()
    {
        var root = Path.Combine(Path.GetTempPath(), $"key-{Guid.NewGuid():N}");
        try
        {
            var first = LocalUrlSigner.LoadOrCreateKey(new LocalStorageOptions(), root);
            var second = LocalUrlSigner.LoadOrCreateKey(new LocalStorageOptions(), root);

            Assert.Equal(32, first.Length);
            Assert.Equal(first, second);
        }
        finally
        {
            Directory.Delete(root, recursive: true);
        }
    }

    [Fact]
    [System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
    public async Task A_generated_key_is_never_readable_by_other_users_not_even_while_it_is_written()
    {
        const UnixFileMode othersMayRead = UnixFileMode.GroupRead | UnixFileMode.OtherRead;
        var seen = new System.Collections.Concurrent.ConcurrentBag<string>();
        for (var attempt = 0; attempt < 200; attempt++)
        {
            var root = Directory.CreateTempSubdirectory("key-mode-").FullName;
            using var done = new CancellationTokenSource();
            // Watches the folder as fast as it can while the key is made, as another user's process could.
            var watcher = Task.Run(() =>
            {
                while (!done.IsCancellationRequested)
                {
                    foreach (var file in Directory.EnumerateFiles(root))
                    {
                        try
                        {
                            if ((File.GetUnixFileMode(file) & othersMayRead) != 0)
                            {
                                seen.Add(Path.GetFileName(file));
                            }
                        }
                        catch (IOException)
                        {
                            // Renamed as we looked.
                        }
                    }
                }
            });
            try
            {
                LocalUrlSigner.LoadOrCreateKey(new LocalStorageOptions(), root);
                Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(Path.Combine(root, "url-signing.key")));
            }
            finally
            {
                await done.CancelAsync();
                await watcher;
                Directory.Delete(root, recursive: true);
            }
        }

        Assert.Empty(seen);
    }

    private async Task<Dictionary<string, string?>> SignAsync(DateTimeOffset expiresAt) =>
        Parse(await signer.SignDownloadAsync(new BlobDownload("images/abc/original.jpg", "image/jpeg", "abc-original.jpg"), expiresAt, default));

    private SignedLinkStatus Verify(Dictionary<string, string?> parts, DateTimeOffset now) =>
        signer.Verify(parts["key"]!, parts["exp"], parts["ct"], parts["fn"], parts["sig"], now);

    private static Dictionary<string, string?> Parse(Uri url)
    {
        var text = url.OriginalString;
        var query = HttpUtility.ParseQueryString(text[(text.IndexOf('?') + 1)..]);
        var parts = query.AllKeys.ToDictionary(k => k!, k => query[k]);
        parts["key"] = text[LocalUrlSigner.RoutePrefix.Length..text.IndexOf('?')];
        return parts;
    }
}
