using ImageService.Testing;

namespace ImageService.Api.Tests;

/// <summary>
/// Adapters turn their SDK's transient failures into StoreUnavailableException, so outside the composition root
/// (Storage/, which builds the clients) the host names no AWS or SQLite type: error mapping and handlers stay
/// the same whichever backend runs.
/// </summary>
public sealed class HostKnowsNoAdapterTests
{
    [Fact]
    public void Only_the_composition_root_names_an_AWS_or_SQLite_type()
    {
        var host = Path.Combine(RepositoryPaths.Root, "src", "ImageService");
        var offenders = Directory.EnumerateFiles(host, "*.cs", SearchOption.AllDirectories)
            .Where(file => !file.StartsWith(Path.Combine(host, "Storage") + Path.DirectorySeparatorChar, StringComparison.Ordinal))
            .Where(file => !file.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}", StringComparison.Ordinal)
                && !file.Contains($"{Path.DirectorySeparatorChar}bin{Path.DirectorySeparatorChar}", StringComparison.Ordinal))
            .Where(file => File.ReadAllText(file) is var text
                && (text.Contains("Amazon.", StringComparison.Ordinal) || text.Contains("Microsoft.Data.Sqlite", StringComparison.Ordinal)))
            .Select(file => Path.GetRelativePath(host, file));

        Assert.Empty(offenders);
    }
}
