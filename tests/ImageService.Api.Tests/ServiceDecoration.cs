using Microsoft.Extensions.DependencyInjection;

namespace ImageService.Api.Tests;

/// <summary>Wraps whatever the service registered for a port, so a test can decorate the chosen backend's adapter
/// without knowing which one it is.</summary>
public static class ServiceDecoration
{
    public static IServiceCollection Decorate<TService>(this IServiceCollection services, Func<TService, IServiceProvider, TService> decorate)
        where TService : class
    {
        var registered = services.LastOrDefault(d => d.ServiceType == typeof(TService))
            ?? throw new InvalidOperationException($"Nothing registers {typeof(TService).Name} to decorate.");
        services.Remove(registered);
        services.Add(ServiceDescriptor.Describe(typeof(TService), provider => decorate(Inner<TService>(registered, provider), provider), registered.Lifetime));
        return services;
    }

    private static TService Inner<TService>(ServiceDescriptor registered, IServiceProvider provider) => (TService)(
        registered.ImplementationInstance
        ?? registered.ImplementationFactory?.Invoke(provider)
        ?? ActivatorUtilities.CreateInstance(provider, registered.ImplementationType!));
}
