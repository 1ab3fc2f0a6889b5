using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text.Json;
using Amazon.DynamoDBv2.Model;
using ImageService.Api.Tests.Processes;
using ImageService.Core.Ports;
using ImageService.Storage.Aws;
using ImageService.Sweeping;
using ImageService.Testing;
using ImageService.Testing.Aws;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.DependencyInjection;
using NetVips;

namespace ImageService.Api.Tests;

/// <summary>The placeholder backfill through the service: images stored before placeholders existed get them from the
/// routine sweep or the <c>sweep --backfill</c> command, and a client then sees them like any other image's.</summary>
public abstract class PlaceholderBackfillTests(Backend backend)
{
    [Fact]
    public async Task Images_stored_without_a_placeholder_get_one_in_the_routine_sweep_from_their_thumbnail_alone()
    {
        var reads = new ConcurrentQueue<string>();
        using var service = await ServiceFactory.StartAsync(backend, services: s => s.Decorate<IBlobStore>((inner, _) => new ReadRecordingBlobs(inner, reads)));
        using var client = service.CreateClient();
        double[] orange = [230, 120, 30], teal = [20, 160, 150];
        var wide = await client.UploadOkAsync(TestImages.Jpeg(800, 450, orange));
        var tall = await client.UploadOkAsync(TestImages.Jpeg(300, 600, teal));
        foreach (var image in new[] { wide, tall })
        {
            await ForgetPlaceholderAsync(service, image.Str("image_id"));
            Assert.False(HasPlaceholder(await ViewAsync(client, image)));
        }

        reads.Clear();
        var sweep = await service.Services.GetRequiredService<RoutineSweep>().RunAsync(default);

        Assert.Equal(2, sweep.PlaceholdersBackfilled);
        Assert.Equal(new[] { wide, tall }.Select(i => $"images/{i.Str("image_id")}/thumbnail.webp").Order(), reads.Order());
        foreach (var (image, colour) in new[] { (wide, orange), (tall, teal) })
        {
            var view = await ViewAsync(client, image);
            var hash = Convert.FromBase64String(view.Str("placeholder"));
            Assert.InRange(hash.Length, 5, 40);
            // What the reference decoder paints, against the thumbnail as a client downloads it, in the image's box.
            using var thumbnail = Image.NewFromBuffer(await service.DownloadBytesAsync(client, view.Str("thumbnail_url")));
            var decoded = await ThumbHashReference.DecodeAsync(hash);
            var average = decoded.GetProperty("average").EnumerateArray().Select(v => v.GetDouble() * 255).ToArray();
            var color = Convert.FromHexString(view.Str("dominant_color")[1..]);
            for (var band = 0; band < 3; band++)
            {
                using var channel = thumbnail[band];
                Assert.InRange(average[band], channel.Avg() - 12, channel.Avg() + 12);
                Assert.InRange(color[band], colour[band] - 12, colour[band] + 12);
            }

            var aspect = view.GetProperty("width").GetDouble() / view.GetProperty("height").GetDouble();
            Assert.InRange(decoded.GetProperty("aspect").GetDouble(), aspect * 0.8, aspect * 1.25);
        }

        Assert.Equal(0, (await service.Services.GetRequiredService<RoutineSweep>().RunAsync(default)).PlaceholdersBackfilled);
    }

    [Fact]
    public async Task With_placeholders_switched_off_the_sweep_makes_none_for_old_images_either_and_the_command_says_why()
    {
        using var service = await ServiceFactory.StartAsync(backend, new() { ["Processing:Placeholders"] = "false" });
        using var client = service.CreateClient();
        var image = await client.UploadOkAsync(TestImages.Jpeg(400, 300));

        var sweep = await service.Services.GetRequiredService<RoutineSweep>().RunAsync(default);
        var (exitCode, output) = await RunCommandAsync(CommandSettings(service), "sweep", "--backfill", "--Processing:Placeholders=false");

        Assert.Equal(0, sweep.PlaceholdersBackfilled);
        Assert.False(HasPlaceholder(await ViewAsync(client, image)));
        Assert.Equal(2, exitCode);
        Assert.Contains("Processing:Placeholders is false", output);
    }

    [Fact]
    public async Task The_sweep_backfill_command_fills_every_image_in_batches_and_prints_its_report()
    {
        using var service = await ServiceFactory.StartAsync(backend);
        using var client = service.CreateClient();
        var images = new List<JsonElement>();
        for (var i = 0; i < 3; i++)
        {
            images.Add(await client.UploadOkAsync(TestImages.Jpeg(400 + 100 * i, 300)));
            await ForgetPlaceholderAsync(service, images[^1].Str("image_id"));
        }

        var (exitCode, output) = await RunCommandAsync(CommandSettings(service), "sweep", "--backfill", "--Sweeper:BackfillBatchSize=2");

        Assert.True(exitCode == 0, output);
        var report = JsonDocument.Parse(output.Split('\n').Single(line => line.StartsWith('{'))).RootElement;
        var backfill = report.GetProperty("backfill");
        Assert.Equal((3, 3, 0, true), (backfill.GetProperty("checked").GetInt32(), backfill.GetProperty("filled").GetInt32(),
            backfill.GetProperty("failed").GetInt32(), backfill.GetProperty("done").GetBoolean()));
        Assert.Equal(0, report.GetProperty("placeholders_backfilled").GetInt32()); // the routine sweep after it found the pass done
        foreach (var image in images)
        {
            Assert.True(HasPlaceholder(await ViewAsync(client, image)));
        }
    }

    /// <summary>Clears the placeholder straight in the database or table, as an image stored before placeholders has none.</summary>
    private async Task ForgetPlaceholderAsync(ServiceFactory service, string imageId)
    {
        if (backend is AwsBackend aws)
        {
            await aws.Emulators.DynamoDb.UpdateItemAsync(new UpdateItemRequest
            {
                TableName = service.Services.GetRequiredService<AwsStorageOptions>().Table,
                Key = new() { ["pk"] = new AttributeValue { S = $"image#{imageId}" }, ["sk"] = new AttributeValue { S = "image" } },
                UpdateExpression = "REMOVE placeholder, dominant_color",
            });
            return;
        }

        await using var connection = new SqliteConnection($"Data Source={Path.Combine(service.DataRoot, "index.db")}");
        await connection.OpenAsync();
        await using var command = connection.CreateCommand();
        command.CommandText = "UPDATE images SET placeholder = NULL, dominant_color = NULL WHERE image_id = $id";
        command.Parameters.AddWithValue("$id", imageId);
        Assert.Equal(1, await command.ExecuteNonQueryAsync());
    }

    /// <summary>The settings that point a command line at the same stores as <paramref name="service"/>.</summary>
    private Dictionary<string, string?> CommandSettings(ServiceFactory service)
    {
        if (backend is AwsBackend aws)
        {
            var storage = service.Services.GetRequiredService<AwsStorageOptions>();
            return aws.Emulators.ServiceSettings(storage.Bucket, storage.Table);
        }

        return new() { ["Storage:Local:Root"] = service.DataRoot, ["Uploads:TempFolder"] = service.UploadTemp };
    }

    /// <summary>Runs the built service as a command line and returns its exit code and everything it wrote.</summary>
    private static async Task<(int ExitCode, string Output)> RunCommandAsync(Dictionary<string, string?> settings, params string[] arguments)
    {
        var start = new ProcessStartInfo("dotnet")
        {
            WorkingDirectory = Path.GetDirectoryName(ServiceProcess.AppPath)!,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        foreach (var argument in (string[])[ServiceProcess.AppPath, .. arguments, .. settings.Select(s => $"--{s.Key}={s.Value}")])
        {
            start.ArgumentList.Add(argument);
        }

        start.Environment["ASPNETCORE_ENVIRONMENT"] = "Production";
        start.Environment["Logging__LogLevel__Default"] = "Warning";
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var errors = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync().WaitAsync(TimeSpan.FromMinutes(2));
        return (process.ExitCode, await output + await errors);
    }

    private static async Task<JsonElement> ViewAsync(HttpClient client, JsonElement image) =>
        await (await client.GetAsync($"/images/{image.Str("image_id")}")).JsonAsync();

    private static bool HasPlaceholder(JsonElement view) =>
        view.TryGetProperty("placeholder", out var placeholder) && placeholder.ValueKind == JsonValueKind.String;

    /// <summary>Notes the key of every blob the service reads.</summary>
    private sealed class ReadRecordingBlobs(IBlobStore inner, ConcurrentQueue<string> reads) : DelegatingBlobStore(inner)
    {
        public override Task<BlobContent?> OpenReadAsync(string key, CancellationToken cancellationToken)
        {
            reads.Enqueue(key);
            return base.OpenReadAsync(key, cancellationToken);
        }
    }
}

public sealed class LocalPlaceholderBackfillTests() : PlaceholderBackfillTests(Backend.Local);

[Collection(EmulatorGroup.Name)]
public sealed class AwsPlaceholderBackfillTests(AwsEmulators emulators) : PlaceholderBackfillTests(new AwsBackend(emulators));
