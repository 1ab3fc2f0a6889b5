using Microsoft.Extensions.Options;

namespace ImageService.Configuration;

/// <summary>Binds an options class to its section and stops the process at start when a setting is wrong,
/// with a message that names the key.</summary>
internal static class ValidatedOptions
{
    public static void BindValidated<T>(this WebApplicationBuilder builder, string section, Func<T, IEnumerable<string>> validate)
        where T : class
    {
        builder.Services.AddSingleton<IValidateOptions<T>>(new Validator<T>(validate));
        builder.Services.AddOptions<T>().Bind(builder.Configuration.GetSection(section)).ValidateOnStart();
        builder.Services.AddSingleton(services => services.GetRequiredService<IOptions<T>>().Value);
    }

    private sealed class Validator<T>(Func<T, IEnumerable<string>> validate) : IValidateOptions<T>
        where T : class
    {
        public ValidateOptionsResult Validate(string? name, T options)
        {
            var failures = validate(options).ToList();
            return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
        }
    }
}
