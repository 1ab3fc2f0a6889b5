using System.Diagnostics.CodeAnalysis;
using Microsoft.Extensions.Options;

namespace ImageService.Configuration;

/// <summary>Binds an options class to its section and stops the process at start when a setting is wrong,
/// with a message that names the key.</summary>
internal static class ValidatedOptions
{
    /// <summary>Registers the validator and the options value; the caller binds the returned builder with
    /// <c>.Bind(section)</c>, where the type is concrete so the configuration binding generator (AOT) can bind it.</summary>
    public static OptionsBuilder<T> AddValidated<[DynamicallyAccessedMembers(DynamicallyAccessedMemberTypes.PublicParameterlessConstructor)] T>(
        this WebApplicationBuilder builder, Func<T, IEnumerable<string>> validate)
        where T : class
    {
        builder.Services.AddSingleton<IValidateOptions<T>>(new Validator<T>(validate));
        builder.Services.AddSingleton(services => services.GetRequiredService<IOptions<T>>().Value);
        return builder.Services.AddOptions<T>().ValidateOnStart();
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
