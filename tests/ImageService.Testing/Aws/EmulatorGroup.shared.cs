namespace ImageService.Testing.Aws;

/// <summary>
/// The test collection that shares one pair of emulators (s3rver and dynalite) per test assembly. Compiled into each
/// test project that uses them (see its .csproj), not into ImageService.Testing, because xunit only finds collection
/// definitions in the test assembly itself.
/// </summary>
[CollectionDefinition(Name)]
public sealed class EmulatorGroup : ICollectionFixture<AwsEmulators>
{
    public const string Name = "aws emulators";
}
