using ImageService.Core.Ports;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace ImageService.Storage;

/// <summary>Readiness of one store: healthy when its probe succeeds.</summary>
internal sealed class StoreHealthCheck<TStore>(TStore store) : IHealthCheck
    where TStore : class
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        try
        {
            var probe = store switch
            {
                IBlobStore blobs => blobs.ProbeAsync(cancellationToken),
                IImageIndex index => index.ProbeAsync(cancellationToken),
                _ => throw new NotSupportedException(typeof(TStore).Name),
            };
            await probe;
            return HealthCheckResult.Healthy();
        }
        catch (Exception e)
        {
            return HealthCheckResult.Unhealthy($"{typeof(TStore).Name} probe failed", e);
        }
    }
}
