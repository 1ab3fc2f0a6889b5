namespace ImageService.Bench;

/// <summary>The ways the service, and the empty-app peer, are published for linux-x64.</summary>
public enum PublishKind
{
    /// <summary>The project's default for <c>-r linux-x64</c>: self-contained, trimmed, one composite ReadyToRun image (the Lambda package).</summary>
    ReadyToRun,

    /// <summary><c>--self-contained false</c>: the shared framework from the machine, each assembly ReadyToRun on its own.</summary>
    FrameworkDependent,

    /// <summary><c>-p:PublishAot=true</c>: one native executable.</summary>
    NativeAot,
}

internal static class PublishKinds
{
    public static string[] Arguments(this PublishKind kind) => kind switch
    {
        PublishKind.ReadyToRun => [],
        PublishKind.FrameworkDependent => ["--self-contained", "false"],
        _ => ["-p:PublishAot=true"],
    };

    /// <summary>Distinct per kind: publishing one kind over another's folder would leave the other's files behind.</summary>
    public static string FolderSuffix(this PublishKind kind) => kind switch
    {
        PublishKind.ReadyToRun => "composite",
        PublishKind.FrameworkDependent => "framework-dependent",
        _ => "aot",
    };

    public static string Describe(this PublishKind kind) => kind switch
    {
        PublishKind.ReadyToRun => "self-contained, trimmed, composite ReadyToRun (`-r linux-x64`, the project's default)",
        PublishKind.FrameworkDependent => "framework-dependent, ReadyToRun (`-r linux-x64 --self-contained false`)",
        _ => "Native AOT (`-r linux-x64 -p:PublishAot=true`)",
    };
}
