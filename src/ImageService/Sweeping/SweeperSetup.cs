using System.Text.Json;
using ImageService.Configuration;
using ImageService.Core.Sweeping;
using ImageService.Imaging;
using ImageService.Processing;

namespace ImageService.Sweeping;

internal static class SweeperSetup
{
    /// <summary>The sweeper and its settings; <paramref name="background"/> is false for the one-off <c>sweep</c> command, which runs no background sweeper.</summary>
    public static WebApplicationBuilder AddSweeper(this WebApplicationBuilder builder, bool background)
    {
        var sweeper = builder.AddValidated(builder.Configuration.GetSection(SweeperOptions.Section).Get<SweeperOptions>(), o => o.Validate(background));
        builder.Services.AddSingleton<ImageSweeper>();
        builder.Services.AddSingleton<PlaceholderBackfill>();
        builder.Services.AddSingleton<RoutineSweep>();
        if (background && sweeper.Enabled)
        {
            builder.Services.AddHostedService<SweeperService>();
        }

        return builder;
    }

    /// <summary>
    /// <c>sweep</c> on the command line: with <c>--full</c>, one bounded page of the full reconciliation first (a bad
    /// <c>--from</c> stops before any work); with <c>--backfill</c>, the placeholder backfill's batches until its pass is
    /// done; then stale staged files and the routine sweep; the report as JSON on stdout, exit (1 when a record failed).
    /// </summary>
    public static async Task<int> SweepOnceAsync(this WebApplication app, SweepCommand command)
    {
        if (command.Error is not null)
        {
            await Console.Error.WriteLineAsync(command.Error);
            return 2;
        }

        var sweeper = app.Services.GetRequiredService<ImageSweeper>();
        FullSweepReport? full = null;
        if (command.Full)
        {
            try
            {
                full = await sweeper.ReconcileAsync(command.From, CancellationToken.None);
            }
            catch (ArgumentException e)
            {
                await Console.Error.WriteLineAsync(e.Message);
                return 2;
            }
        }

        if (command.Backfill && !app.Services.GetRequiredService<ProcessingOptions>().Placeholders)
        {
            await Console.Error.WriteLineAsync("Processing:Placeholders is false: the service makes no placeholders, so 'sweep --backfill' makes none for old images either.");
            return 2;
        }

        var backfill = command.Backfill
            ? await app.Services.GetRequiredService<PlaceholderBackfill>().RunToEndAsync(CancellationToken.None)
            : null;
        var routine = await app.Services.GetRequiredService<RoutineSweep>().RunAsync(CancellationToken.None);
        var report = new SweepCommandReport(
            routine.AbandonedUploads, routine.FinishedDeletes, routine.EditsSettled, routine.Failed, routine.DirectUploadsCompleted, routine.RawUploadsRemoved,
            routine.PlaceholdersBackfilled, full, backfill);
        Console.WriteLine(JsonSerializer.Serialize(report, SweepJsonContext.Default.SweepCommandReport));
        return routine.Failed == 0 && backfill is not { Failed: > 0 } ? 0 : 1;
    }
}

/// <summary>Runs the routine sweep (the staging areas, then the stores; never the full reconciliation) every
/// <see cref="SweeperOptions.IntervalSeconds"/> while the web process runs.</summary>
/// <remarks>Registered only when it is enabled: on Lambda it is not (the schedule posts to /events), and neither it nor
/// the stores under the sweep are built there.</remarks>
internal sealed class SweeperService(IServiceProvider services, SweeperOptions options, ILogger<SweeperService> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var sweep = services.GetRequiredService<RoutineSweep>();
        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(options.IntervalSeconds));
        while (await timer.WaitForNextTickAsync(stoppingToken))
        {
            try
            {
                await sweep.RunAsync(stoppingToken);
            }
            catch (Exception e) when (!stoppingToken.IsCancellationRequested)
            {
                logger.LogError(e, "Sweep failed; the next one will try again");
            }
        }
    }
}
