using System.Web;
using Amazon.Runtime;
using Amazon.S3;
using ImageService.Core.Ports;
using ImageService.Storage.Aws;
using ImageService.Testing.Aws;

namespace ImageService.Storage.Aws.Tests;

/// <summary>A presigned URL or POST dies with the credentials that signed it, whatever expiry it names: the signer must
/// never let the service advertise a later one.</summary>
[Collection(EmulatorGroup.Name)]
public sealed class S3SigningLifetimeTests(AwsEmulators emulators)
{
    private static readonly DateTimeOffset Now = DateTimeOffset.UtcNow;

    [Fact]
    public async Task Long_term_keys_keep_the_expiry_asked_for()
    {
        var wanted = Now.AddHours(6);

        var latest = await Signer(new BasicAWSCredentials("S3RVER", "S3RVER")).LatestExpiryAsync(wanted, Now, CancellationToken.None);

        Assert.Equal(wanted, latest);
    }

    [Fact]
    public async Task Credentials_that_expire_in_40_minutes_cap_links_and_forms_at_that_instant()
    {
        var expiry = Now.AddMinutes(40);
        var signer = Signer(new ExpiringCredentials(expiry.UtcDateTime));

        var latest = await signer.LatestExpiryAsync(Now.AddHours(1), Now, CancellationToken.None);
        var link = await signer.SignDownloadAsync(new BlobDownload("images/x/original.jpg", "image/jpeg", "x.jpg"), latest, CancellationToken.None);

        // At most the expiry; earlier by the SDK's refresh margin and the rounding, never by more than ten minutes.
        Assert.InRange(latest, expiry.AddMinutes(-10), expiry);
        Assert.Equal(0, latest.ToUnixTimeSeconds() % 300);
        var lifetime = int.Parse(HttpUtility.ParseQueryString(link.Query)["X-Amz-Expires"]!);
        Assert.True(lifetime <= (expiry - Now).TotalSeconds, $"the link lives {lifetime} s, past the credentials' {(expiry - Now).TotalSeconds:F0} s");
    }

    [Fact]
    public async Task Temporary_credentials_that_do_not_say_when_they_expire_like_Lambdas_are_trusted_for_an_hour()
    {
        var signer = Signer(new SessionAWSCredentials("S3RVER", "S3RVER", "a-session-token"));

        var latest = await signer.LatestExpiryAsync(Now.AddDays(2), Now, CancellationToken.None);
        var soon = await signer.LatestExpiryAsync(Now.AddMinutes(15), Now, CancellationToken.None);

        Assert.InRange(latest, Now + S3UrlSigner.UnknownSessionLifetime - TimeSpan.FromMinutes(5), Now + S3UrlSigner.UnknownSessionLifetime);
        Assert.Equal(Now.AddMinutes(15), soon);
    }

    private S3UrlSigner Signer(AWSCredentials credentials) => new(
        new AmazonS3Client(credentials, AwsClients.S3Config(emulators.S3Endpoint, "us-east-1", forcePathStyle: null)),
        new AwsStorageOptions { Bucket = "images-bucket" },
        credentials);

    /// <summary>Credentials with a stated expiry, as STS, SSO and container roles hand out.</summary>
    private sealed class ExpiringCredentials(DateTime expiry) : RefreshingAWSCredentials
    {
        protected override CredentialsRefreshState GenerateNewCredentials() =>
            new(new ImmutableCredentials("S3RVER", "S3RVER", "a-session-token"), expiry);
    }
}
