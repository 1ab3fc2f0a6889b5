using ImageService.Testing.Aws;

namespace ImageService.Api.Tests;

/// <summary>Where a test's service keeps its images: the API suite runs once per backend.</summary>
public abstract class Backend
{
    public static Backend Local { get; } = new LocalBackend();

    /// <summary>Settings that point a new service at a fresh, empty store of this backend.</summary>
    public abstract Task<Dictionary<string, string?>> SettingsAsync();

    private sealed class LocalBackend : Backend
    {
        public override Task<Dictionary<string, string?>> SettingsAsync() => Task.FromResult(new Dictionary<string, string?>());
    }
}

/// <summary>S3 and DynamoDB, on s3rver and dynalite: a new bucket and a new table (from the deployment template) per service.</summary>
public sealed class AwsBackend(AwsEmulators emulators) : Backend
{
    public AwsEmulators Emulators { get; } = emulators;

    public override async Task<Dictionary<string, string?>> SettingsAsync() =>
        Emulators.ServiceSettings(await Emulators.CreateBucketAsync(), await Emulators.CreateTableAsync());
}
