using System.Diagnostics;
using System.Net;
using ImageService.Core;
using ImageService.Processing;
using ImageService.Storage.Local;
using ImageService.Testing;
using Microsoft.Extensions.DependencyInjection;

namespace ImageService.Api.Tests;

/// <summary>
/// The staging folder holds uploads before their metadata is stripped, so only the service's user may read it,
/// and what a killed process left there goes at the next start or sweep.
/// </summary>
[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
public sealed class UploadStagingTests
{
    private const UnixFileMode OwnerOnly = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;

    [Fact]
    public void By_default_each_process_stages_in_a_new_folder_that_only_its_user_can_read()
    {
        using var first = new UploadStaging(new UploadStagingOptions());
        using var second = new UploadStaging(new UploadStagingOptions());

        Assert.NotEqual(first.Folder, second.Folder);
        Assert.StartsWith(Path.GetTempPath(), first.Folder, StringComparison.Ordinal);
        Assert.Equal(OwnerOnly, File.GetUnixFileMode(first.Folder));
        Assert.Equal(OwnerOnly, File.GetUnixFileMode(second.Folder));
    }

    [Fact]
    public void The_folder_of_a_process_goes_with_it()
    {
        string folder;
        using (var staging = new UploadStaging(new UploadStagingOptions()))
        {
            folder = staging.Folder;
            File.WriteAllText(Path.Combine(folder, StagedFileNames.New(".upload")), "x");
        }

        Assert.False(Directory.Exists(folder));
    }

    [Fact]
    public void A_configured_folder_is_created_private()
    {
        var root = Directory.CreateTempSubdirectory("staging-configured-").FullName;
        try
        {
            var configured = Path.Combine(root, "uploads");
            using var staging = new UploadStaging(new UploadStagingOptions { TempFolder = configured });

            Assert.Equal(configured, staging.Folder);
            Assert.Equal(OwnerOnly, File.GetUnixFileMode(configured));
        }
        finally
        {
            Directory.Delete(root, recursive: true);
        }
    }

    [Theory]
    [InlineData("755")]
    [InlineData("1777")]
    [InlineData("750")]
    public void A_configured_folder_that_other_users_can_enter_is_refused_and_left_as_it_was(string octal)
    {
        var root = Directory.CreateTempSubdirectory("staging-shared-").FullName;
        try
        {
            var mode = (UnixFileMode)Convert.ToInt32(octal, 8);
            File.SetUnixFileMode(root, mode);
            using var staging = new UploadStaging(new UploadStagingOptions { TempFolder = root });

            var refusal = Assert.Throws<InvalidOperationException>(() => staging.Folder);
            Assert.Contains("can be entered by other users", refusal.Message, StringComparison.Ordinal);
            Assert.Contains("chmod 700", refusal.Message, StringComparison.Ordinal);
            Assert.Equal(mode, File.GetUnixFileMode(root));
        }
        finally
        {
            Directory.Delete(root, recursive: true);
        }
    }

    [Fact]
    public async Task The_folder_of_a_process_that_died_goes_and_only_stale_files_of_a_live_one()
    {
        var deadFolder = Directory.CreateTempSubdirectory($"{UploadStaging.FolderPrefix}{StagedFileNames.OwnerOf(await ExitedProcessIdAsync())}-").FullName;
        var liveFolder = Directory.CreateTempSubdirectory($"{UploadStaging.FolderPrefix}{StagedFileNames.Owner}-").FullName;
        try
        {
            var young = Path.Combine(deadFolder, StagedFileNames.New(".upload"));
            File.WriteAllText(young, "x");
            var stale = Path.Combine(liveFolder, StagedFileNames.New(".upload"));
            File.WriteAllText(stale, "x");
            File.SetLastWriteTimeUtc(stale, DateTime.UtcNow.AddHours(-2));
            var fresh = Path.Combine(liveFolder, StagedFileNames.New(".upload"));
            File.WriteAllText(fresh, "x");

            using var staging = new UploadStaging(new UploadStagingOptions());
            var removed = staging.RemoveStale(DateTimeOffset.UtcNow.AddHours(-1));

            Assert.True(removed >= 2, $"removed {removed}");
            Assert.False(Directory.Exists(deadFolder), "a dead process's folder, however young its files");
            Assert.False(File.Exists(stale));
            Assert.True(File.Exists(fresh), "a young file of a live process may be an upload in progress");
        }
        finally
        {
            foreach (var folder in new[] { deadFolder, liveFolder }.Where(Directory.Exists))
            {
                Directory.Delete(folder, recursive: true);
            }
        }
    }

    [Fact]
    public async Task A_restart_removes_what_a_killed_process_left_in_both_staging_folders()
    {
        using var first = new ServiceFactory();
        var leftUpload = Path.Combine(first.UploadTemp, StagedFileNames.New(".upload"));
        var leftPart = Path.Combine(first.DataRoot, "staging", StagedFileNames.New(".part"));
        Directory.CreateDirectory(first.UploadTemp, OwnerOnly);
        Directory.CreateDirectory(Path.GetDirectoryName(leftPart)!);
        foreach (var file in new[] { leftUpload, leftPart })
        {
            await File.WriteAllTextAsync(file, "half an upload");
            File.SetLastWriteTimeUtc(file, DateTime.UtcNow.AddHours(-2));
        }

        var freshUpload = Path.Combine(first.UploadTemp, StagedFileNames.New(".upload"));
        await File.WriteAllTextAsync(freshUpload, "still arriving");

        using var client = first.CreateClient();
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/health/ready")).StatusCode);

        Assert.False(File.Exists(leftUpload));
        Assert.False(File.Exists(leftPart));
        Assert.True(File.Exists(freshUpload), "a file younger than Uploads:StaleAfterSeconds may belong to a live upload");
        Assert.Equal(OwnerOnly, File.GetUnixFileMode(first.UploadTemp));
    }

    [Fact]
    public void A_service_configured_with_a_folder_other_users_can_enter_does_not_start()
    {
        using var service = new ServiceFactory();
        Directory.CreateDirectory(service.UploadTemp);
        File.SetUnixFileMode(service.UploadTemp, OwnerOnly | UnixFileMode.OtherRead | UnixFileMode.OtherExecute);

        var failure = service.StartFailure();

        Assert.Contains("Uploads:TempFolder", failure, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Staged_files_of_an_exited_process_go_however_young_and_live_ones_only_when_stale()
    {
        var root = Directory.CreateTempSubdirectory("staging-files-").FullName;
        try
        {
            var deadId = await ExitedProcessIdAsync();
            var store = new FileSystemBlobStore(Path.Combine(root, "data"));
            var configured = Path.Combine(root, "uploads");
            using var staging = new UploadStaging(new UploadStagingOptions { TempFolder = configured });
            var folders = new[] { Path.Combine(root, "data", "staging"), staging.Folder };
            var (dead, stale, live) = (new List<string>(), new List<string>(), new List<string>());
            foreach (var folder in folders)
            {
                dead.Add(Path.Combine(folder, $"{StagedFileNames.OwnerOf(deadId)}-{Guid.NewGuid():N}.part"));
                stale.Add(Path.Combine(folder, StagedFileNames.New(".part")));
                live.Add(Path.Combine(folder, StagedFileNames.New(".part")));
            }

            foreach (var file in dead.Concat(stale).Concat(live))
            {
                File.WriteAllText(file, "x");
            }

            stale.ForEach(file => File.SetLastWriteTimeUtc(file, DateTime.UtcNow.AddHours(-2)));
            var cutoff = DateTimeOffset.UtcNow.AddHours(-1);

            Assert.Equal(2, store.RemoveStale(cutoff));
            Assert.Equal(2, staging.RemoveStale(cutoff));
            Assert.All(dead.Concat(stale), file => Assert.False(File.Exists(file), file));
            Assert.All(live, file => Assert.True(File.Exists(file), file));
        }
        finally
        {
            Directory.Delete(root, recursive: true);
        }
    }

    [Fact]
    public void A_configured_folder_loses_only_files_the_service_staged_there_however_old_the_rest()
    {
        // An operator may point Uploads:TempFolder at a folder that holds other things, even the data root.
        var root = Directory.CreateTempSubdirectory("staging-shared-with-data-").FullName;
        try
        {
            var theirs = new[] { "index.db", "index.db-wal", "url-signing.key", "notes.txt", "1234-not-ours.upload" }
                .Select(name => Path.Combine(root, name)).ToList();
            var ours = Path.Combine(root, StagedFileNames.New(".upload"));
            foreach (var file in theirs.Append(ours))
            {
                File.WriteAllText(file, "x");
                File.SetLastWriteTimeUtc(file, DateTime.UtcNow.AddDays(-30));
            }

            using var staging = new UploadStaging(new UploadStagingOptions { TempFolder = root });
            var store = new FileSystemBlobStore(root);
            var removed = staging.RemoveStale(DateTimeOffset.UtcNow.AddHours(-1)) + store.RemoveStale(DateTimeOffset.UtcNow.AddHours(-1));

            Assert.Equal(1, removed);
            Assert.False(File.Exists(ours));
            Assert.All(theirs, file => Assert.True(File.Exists(file), $"{Path.GetFileName(file)} is not the service's to remove"));
        }
        finally
        {
            Directory.Delete(root, recursive: true);
        }
    }

    [Fact]
    public void A_young_file_of_a_process_in_another_container_is_kept_although_its_id_is_unknown_here()
    {
        // Another PID namespace or host sharing the folder: its process ids mean nothing here, so only age may tell.
        var root = Directory.CreateTempSubdirectory("staging-other-space-").FullName;
        try
        {
            var otherSpace = StagedFileNames.Owner.EndsWith("@00000000", StringComparison.Ordinal) ? "ffffffff" : "00000000";
            var elsewhere = Path.Combine(root, $"999999999@{otherSpace}-{Guid.NewGuid():N}.upload");
            File.WriteAllText(elsewhere, "a live upload in the other container");

            using var staging = new UploadStaging(new UploadStagingOptions { TempFolder = root });

            Assert.Equal(0, staging.RemoveStale(DateTimeOffset.UtcNow.AddHours(-1)));
            Assert.True(File.Exists(elsewhere));
            Assert.True(StagedFileNames.IsOfExitedProcess(Path.Combine(root, $"{StagedFileNames.OwnerOf(999999999)}-{Guid.NewGuid():N}.upload")),
                "the same unknown id in this process space is an exited process");
        }
        finally
        {
            Directory.Delete(root, recursive: true);
        }
    }

    private static async Task<int> ExitedProcessIdAsync()
    {
        using var exited = Process.Start(new ProcessStartInfo("true"))!;
        await exited.WaitForExitAsync();
        return exited.Id;
    }
}
