namespace ImageService.Configuration;

/// <summary>Takes out a hosted service that a framework registration adds and this service never needs, so that the
/// start neither builds it nor waits for it. By name: the framework's types are internal.</summary>
internal static class UnusedHostedServices
{
    public static void RemoveHostedService(this IServiceCollection services, string implementationName)
    {
        var registration = services.FirstOrDefault(d => d.ServiceType == typeof(IHostedService) && !d.IsKeyedService && d.ImplementationType?.Name == implementationName);
        if (registration is not null)
        {
            services.Remove(registration);
        }
    }
}
