namespace ImageService.Testing;

/// <summary>Files of the repository the tests run from.</summary>
public static class RepositoryPaths
{
    public static string Root { get; } = FindRoot();

    public static string Template => Path.Combine(Root, "deploy", "template.yaml");

    public static string Emulators => Path.Combine(Root, "tests", "emulators");

    public static string BrowserClient => Path.Combine(Root, "tests", "browser");

    private static string FindRoot()
    {
        for (var folder = new DirectoryInfo(AppContext.BaseDirectory); folder is not null; folder = folder.Parent)
        {
            if (File.Exists(Path.Combine(folder.FullName, "ImageService.slnx")))
            {
                return folder.FullName;
            }
        }

        throw new InvalidOperationException($"No ImageService.slnx above {AppContext.BaseDirectory}.");
    }
}
