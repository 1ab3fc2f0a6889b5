using System.Net;
using ImageService.Testing;
using Microsoft.Data.Sqlite;

namespace ImageService.Api.Tests.Processes;

/// <summary>
/// The embedded backend on a disk that fills up: the real service process on a small tmpfs of its own, filled by
/// the test. A full disk is the server's trouble, so the client gets a 503 that says to retry, never a 400 that blames
/// its body or a 422 that calls its photo corrupt, and nothing of the failed upload stays behind.
/// </summary>
public sealed class DiskFullTests : IDisposable
{
    private const long DiskBytes = 16 << 20;

    private readonly string root = Directory.CreateTempSubdirectory("image-service-disk-").FullName;

    public void Dispose()
    {
        SqliteConnection.ClearAllPools();
        Directory.Delete(root, recursive: true);
    }

    [Theory]
    [InlineData("uploads", 0, false)] // the body cannot be staged
    [InlineData("uploads", 64_000, true)] // the body is staged, its renditions cannot be encoded
    [InlineData("data", 0, false)] // the index cannot grow
    [InlineData("data", 300_000, false)] // the record and the small renditions fit, the original's blob does not
    public async Task A_full_disk_is_a_503_that_leaves_nothing_and_the_upload_works_once_there_is_room(
        string onTheFullDisk, long leftFree, bool plusRoomForTheBody)
    {
        var disk = Directory.CreateDirectory(Path.Combine(root, "disk")).FullName;
        var uploads = Path.Combine(onTheFullDisk == "uploads" ? disk : root, "uploads");
        var data = Path.Combine(onTheFullDisk == "data" ? disk : root, "data");
        var settings = new Dictionary<string, string?>
        {
            ["Storage:Local:Root"] = data,
            ["Uploads:TempFolder"] = uploads,
            ["Sweeper:Enabled"] = "false",
        };
        using var service = await ServiceProcess.StartOnSmallDiskAsync(settings, disk, DiskBytes);
        using var client = new HttpClient { BaseAddress = service.Address };
        var photo = TestImages.NoisyJpeg(1200, 900);
        var filler = service.OnItsDisk(Path.Combine(disk, "filler"));
        Fill(filler, leftFree + (plusRoomForTheBody ? photo.Length : 0));

        using (var refused = await client.UploadAsync(photo))
        {
            Assert.True(refused.StatusCode == HttpStatusCode.ServiceUnavailable, service.Output);
            await refused.AssertProblemAsync(503, "try again");
            Assert.NotNull(refused.Headers.RetryAfter);
        }

        Assert.Empty(await client.ListIdsAsync("/images"));
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/health/live")).StatusCode);
        Assert.Empty(LeftBehind(service, uploads, data));
        Assert.Equal(0, await RowsAsync(service.OnItsDisk(Path.Combine(data, "index.db"))));

        File.Delete(filler);
        var stored = await client.UploadOkAsync(photo);
        Assert.Equal([stored.Str("image_id")], await client.ListIdsAsync("/images"));
    }

    /// <summary>Writes until the disk is full, then gives back <paramref name="leftFree"/> bytes.</summary>
    private static void Fill(string path, long leftFree)
    {
        using var file = new FileStream(path, FileMode.CreateNew, FileAccess.Write);
        var chunk = new byte[1 << 20];
        Random.Shared.NextBytes(chunk);
        try
        {
            while (true)
            {
                file.Write(chunk);
                file.Flush();
            }
        }
        catch (IOException)
        {
            // full
        }

        // Less than a chunk may still fit; take it too, then give back what the case leaves free.
        for (var size = chunk.Length / 2; size >= 4096; size /= 2)
        {
            try
            {
                file.Write(chunk, 0, size);
                file.Flush();
            }
            catch (IOException)
            {
                // not this much
            }
        }

        file.SetLength(Math.Max(0, file.Length - leftFree));
    }

    /// <summary>Staged bodies, renditions, part files and blobs: anything but the index, its journal and the signing key.</summary>
    private static List<string> LeftBehind(ServiceProcess service, string uploads, string data) =>
        [.. new[] { uploads, Path.Combine(data, "staging"), Path.Combine(data, "blobs") }
            .Select(service.OnItsDisk)
            .Where(Directory.Exists)
            .SelectMany(folder => Directory.EnumerateFiles(folder, "*", SearchOption.AllDirectories))];

    /// <summary>The records in the index, read from a copy: SQLite resolves the /proc/{pid}/root link to this
    /// process's own root, where the service's disk is not mounted.</summary>
    private async Task<long> RowsAsync(string database)
    {
        var copy = Path.Combine(root, $"index-copy-{Guid.NewGuid():N}.db");
        File.Copy(database, copy);
        if (File.Exists(database + "-wal"))
        {
            File.Copy(database + "-wal", copy + "-wal");
        }

        await using var connection = new SqliteConnection($"Data Source={copy};Pooling=False");
        await connection.OpenAsync();
        await using var count = connection.CreateCommand();
        count.CommandText = "SELECT count(*) FROM images";
        return (long)(await count.ExecuteScalarAsync())!;
    }
}
