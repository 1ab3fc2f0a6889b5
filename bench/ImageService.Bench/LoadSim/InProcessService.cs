extern alias ServiceHost;

using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.DependencyInjection;

namespace ImageService.Bench.LoadSim;

/// <summary>
/// The service in this process (as RequestCostTests runs it), with its S3 and DynamoDB clients replaced by counted
/// ones and, first in its pipeline, the middleware that tells <see cref="ActionLog"/> which action a request is.
/// In process rather than the published app behind a counting proxy: a proxy sees the requests of all the actions in
/// flight interleaved and could only check a step's total, where this attributes each request to its action.
/// </summary>
internal sealed class InProcessService(string project, Dictionary<string, string?> settings, ActionLog log, Action<IServiceCollection> services)
    : WebApplicationFactory<ServiceHost::Program>
{
    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        // The service's project folder, which the factory would look for beside a .sln file this repository does not have.
        builder.UseContentRoot(project);
        foreach (var (key, value) in settings)
        {
            builder.UseSetting(key, value);
        }

        builder.ConfigureServices(collection =>
        {
            collection.AddSingleton<IStartupFilter>(new NameTheAction(log));
            services(collection);
        });
    }

    private sealed class NameTheAction(ActionLog log) : IStartupFilter
    {
        public Action<IApplicationBuilder> Configure(Action<IApplicationBuilder> next) => app =>
        {
            app.Use(async (context, following) =>
            {
                log.Enter(context.Request.Headers[ActionLog.Header]);
                await following(context);
            });
            next(app);
        };
    }
}
