using System.Text.Json;
using ImageService.Configuration;
using ImageService.Core.Sweeping;
using ImageService.Processing;

namespace ImageService.Sweeping;

internal static class SweeperSetup
{
    public static WebApplicationBuilder AddSweeper(this WebApplicationBuilder builder)
    {
        builder.AddValidated<SweeperOptions>(o => o.Validate()).Bind(builder.Configuration.GetSection(SweeperOptions.Section));
        builder.Services.AddSingleton<ImageSweeper>();
        builder.Services.AddHostedService<SweeperService>();
        return builder;
    }

    /// <summary><c>sweep</c> on the command line: stale staged files removed, one sweep against the configured stores, its
    /// report as JSON, exit.</summary>
    public static async Task<int> SweepOnceAsync(this WebApplication app)
    {
        app.Services.GetRequiredService<StagingJanitor>().RemoveStale();
        var report = await app.Services.GetRequiredService<ImageSweeper>().SweepAsync(CancellationToken.None);
        Console.WriteLine(JsonSerializer.Serialize(report, ApiJsonContext.Default.SweepReport));
        return 0;
    }
}

/// <summary>Sweeps (the staging areas, then the stores) every <see cref="SweeperOptions.IntervalSeconds"/> while the web
/// process runs.</summary>
internal sealed class SweeperService(ImageSweeper sweeper, StagingJanitor janitor, SweeperOptions options, ILogger<SweeperService> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (!options.Enabled)
        {
            return;
        }

        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(options.IntervalSeconds));
        while (await timer.WaitForNextTickAsync(stoppingToken))
        {
            try
            {
                janitor.RemoveStale();
                await sweeper.SweepAsync(stoppingToken);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                logger.LogError(e, "Sweep failed; the next one will try again");
            }
        }
    }
}
