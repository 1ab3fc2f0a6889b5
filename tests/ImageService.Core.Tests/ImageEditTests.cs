using ImageService.Core.Images;
using ImageService.Core.Metadata;
using ImageService.Core.Tests.Fakes;
using ImageService.Core.Ports;
using ImageService.Testing;
using ImageService.Testing.Contracts;
using Microsoft.Extensions.Logging.Abstractions;

namespace ImageService.Core.Tests;

/// <summary>How an edit is applied: what a patch means, and what a crowd of editors costs.</summary>
public sealed class ImageEditTests
{
    [Fact]
    public void A_patch_applied_keeps_the_caption_hashtags_among_the_tags_and_the_same_record_when_nothing_changes()
    {
        var record = ImageIndexContract.Record("u", 1, "travel", "beach") with { Caption = "At the #beach" };

        var recaptioned = ImageEdit.Parse("""{"caption":"Dinner #Pasta"}""").Apply(record);
        var retagged = ImageEdit.Parse("""{"tags":["food"]}""").Apply(record);
        var same = ImageEdit.Parse("""{"tags":["#Travel","BEACH"],"caption":" At the #beach "}""").Apply(record);

        Assert.Equal(["travel", "beach", "pasta"], recaptioned.Tags);
        Assert.Equal(["food", "beach"], retagged.Tags);
        Assert.Same(record, same);
    }

    [Fact]
    public async Task Without_If_Match_an_edit_that_keeps_losing_to_others_gives_up_after_a_bounded_number_of_attempts_with_409()
    {
        var index = new AlwaysBeatenIndex(new InMemoryImageIndex(new Faults()));
        var record = ImageIndexContract.Record("u", 1, "travel");
        await index.TryAddAsync(record, default);
        var catalog = new ImageCatalog(index, null!, null!, new DownloadOptions(), TimeProvider.System, NullLogger<ImageCatalog>.Instance);

        var unconditional = await Assert.ThrowsAsync<ImageServiceException>(() =>
            catalog.EditAsync(record.ImageId, ImageEdit.Parse("""{"caption":"mine"}"""), null, Caller.Anonymous, default));
        var attempts = index.Attempts;
        var conditional = await Assert.ThrowsAsync<ImageServiceException>(() =>
            catalog.EditAsync(record.ImageId, ImageEdit.Parse("""{"caption":"mine"}"""), v => v == attempts + 1, Caller.Anonymous, default));

        Assert.Equal(ImageErrorKind.Conflict, unconditional.Kind);
        Assert.Equal(5, attempts);
        Assert.Equal(ImageErrorKind.PreconditionFailed, conditional.Kind);
        Assert.Equal(attempts + 1, index.Attempts);
    }

    [Fact]
    public async Task An_If_Match_of_star_that_loses_a_race_is_applied_to_the_new_version_not_refused()
    {
        var index = new AlwaysBeatenIndex(new InMemoryImageIndex(new Faults())) { Losses = 1 };
        var record = ImageIndexContract.Record("u", 1, "travel");
        await index.TryAddAsync(record, default);
        var catalog = new ImageCatalog(index, null!, null!, new DownloadOptions(), TimeProvider.System, NullLogger<ImageCatalog>.Instance);

        var stored = await catalog.EditAsync(record.ImageId, ImageEdit.Parse("""{"caption":"mine"}"""), _ => true, Caller.Anonymous, default);

        Assert.Equal(("mine", 3L), (stored.Caption, stored.Version));
    }

    [Fact]
    public void A_patch_naming_a_field_twice_or_holding_half_a_surrogate_pair_is_refused_naming_what_is_wrong()
    {
        var twice = Assert.Throws<ImageServiceException>(() => ImageEdit.Parse("""{"caption":"a","caption":"b"}"""));
        var half = Assert.Throws<ImageServiceException>(() => UploadMetadataParser.Parse("""{"user_id":"u","caption":"\ud83d"}"""));

        Assert.Contains("not valid JSON", twice.Message);
        Assert.Contains("'metadata.caption' is not valid text", half.Message);
    }

    /// <summary>Before every edit (or the first <see cref="Losses"/>), another editor's lands first.</summary>
    private sealed class AlwaysBeatenIndex(IImageIndex inner) : DelegatingImageIndex(inner)
    {
        public int Attempts { get; private set; }

        public int Losses { get; init; } = int.MaxValue;

        public override async Task<ImageRecord?> TryEditAsync(ImageRecord current, ImageRecord edited, CancellationToken cancellationToken)
        {
            if (++Attempts > Losses)
            {
                return await Inner.TryEditAsync(current, edited, cancellationToken);
            }

            await Inner.TryEditAsync(current, current with { Caption = $"theirs {Attempts}", Version = current.Version + 1 }, cancellationToken);
            return await Inner.TryEditAsync(current, edited, cancellationToken);
        }
    }
}
