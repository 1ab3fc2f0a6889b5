using Microsoft.Extensions.Options;

namespace ImageService.Configuration;

/// <summary>Registers a settings class and stops the process at start when a setting is wrong, with a message that
/// names the key.</summary>
/// <remarks>
/// Bound and checked as it is registered, not through <c>IOptions&lt;T&gt;</c> and <c>ValidateOnStart</c>: the options
/// machinery makes a handful of generic types for every settings class (manager, factory, monitor, cache, the lists of
/// its configure and validate steps), which the container builds at start by reflection, and a Native AOT process
/// builds at run time with its type loader. For fourteen classes that was about a third of the Native AOT package's own
/// start-up (BENCHMARKS.md, section 5). Nothing here reloads settings, so the options machinery bought nothing.
/// </remarks>
internal static class ValidatedOptions
{
    /// <summary>Registers <paramref name="bound"/> (a new <typeparamref name="T"/> when its section is absent) as the
    /// singleton, or throws when <paramref name="validate"/> finds anything wrong. The caller binds it with
    /// <c>GetSection(…).Get&lt;T&gt;()</c>, where the type is concrete, so that the configuration binding generator
    /// binds it under Native AOT.</summary>
    public static T AddValidated<T>(this WebApplicationBuilder builder, T? bound, Func<T, IEnumerable<string>> validate)
        where T : class, new()
    {
        var value = bound ?? new T();
        var failures = validate(value).ToList();
        if (failures.Count > 0)
        {
            throw new OptionsValidationException(Options.DefaultName, typeof(T), failures);
        }

        builder.Services.AddSingleton(value);
        return value;
    }
}
