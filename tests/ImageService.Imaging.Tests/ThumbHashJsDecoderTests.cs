using System.Buffers.Binary;
using System.ComponentModel;
using System.Diagnostics;
using System.IO.Compression;
using System.Text;
using System.Text.Json;
using ImageService.Testing;
using NetVips;
using Xunit.Abstractions;

namespace ImageService.Imaging.Tests;

/// <summary>The web app's ThumbHash decoder, src/ImageService/wwwroot/js/thumbhash.js, run under Node on placeholders
/// our encoder made from real images (wide, tall, transparent): it must decode them as the format's reference decoder
/// (the <c>thumbhash</c> npm package pinned in tests/emulators) does, to within rounding; its data URL must be a valid
/// PNG (signature, chunk CRCs, zlib Adler-32) holding the same pixels; and a malformed hash must throw an Error.</summary>
public sealed class ThumbHashJsDecoderTests(ITestOutputHelper output)
{
    private static readonly string Module = Path.Combine(RepositoryPaths.Root, "src", "ImageService", "wwwroot", "js", "thumbhash.js");

    private static readonly string Reference = Path.Combine(RepositoryPaths.Emulators, "node_modules", "thumbhash", "thumbhash.js");

    public static TheoryData<string> Images() =>
        new() { "a wide JPEG", "a tall JPEG", "a 50:1 strip", "a noisy JPEG", "a solid WebP", "a half-transparent PNG", "a PNG with graded alpha" };

    [Theory]
    [MemberData(nameof(Images))]
    public async Task Our_placeholders_decode_as_the_reference_decodes_them(string image)
    {
        var hash = Placeholder(image);

        var result = await RunAsync(
            """
            import { decodeThumbHash, thumbHashAverageColor, placeholderDataUrl } from OURS;
            import { thumbHashToRGBA, thumbHashToAverageRGBA } from REFERENCE;
            const base64 = JSON.parse(process.argv[1]), hash = Uint8Array.from(Buffer.from(base64, 'base64'));
            const ours = decodeThumbHash(base64), reference = thumbHashToRGBA(hash);
            const average = thumbHashToAverageRGBA(hash);
            const time = (f) => { const start = performance.now(); for (let i = 0; i < 200; i++) f(); return (performance.now() - start) / 200; };
            console.log(JSON.stringify({
              rgbaIsClamped: ours.rgba instanceof Uint8ClampedArray,
              ours: { width: ours.width, height: ours.height, rgba: Array.from(ours.rgba) },
              reference: { width: reference.w, height: reference.h, rgba: Array.from(reference.rgba) },
              average: thumbHashAverageColor(base64),
              referenceAverage: [average.r, average.g, average.b, average.a],
              dataUrl: placeholderDataUrl(base64),
              milliseconds: { decode: time(() => decodeThumbHash(base64)), dataUrl: time(() => placeholderDataUrl(base64)), reference: time(() => thumbHashToRGBA(hash)) },
            }));
            """,
            JsonSerializer.Serialize(hash));

        var ours = result.GetProperty("ours");
        var reference = result.GetProperty("reference");
        var (width, height) = (ours.GetProperty("width").GetInt32(), ours.GetProperty("height").GetInt32());
        Assert.Equal(reference.GetProperty("width").GetInt32(), width);
        Assert.Equal(reference.GetProperty("height").GetInt32(), height);
        Assert.InRange(Math.Max(width, height), 1, 32);
        Assert.True(result.GetProperty("rgbaIsClamped").GetBoolean(), "rgba is not a Uint8ClampedArray");
        var pixels = Bytes(ours.GetProperty("rgba"));
        var expected = Bytes(reference.GetProperty("rgba"));
        Assert.Equal(width * height * 4, pixels.Length);
        Assert.Equal(expected.Length, pixels.Length);
        for (var i = 0; i < pixels.Length; i++)
        {
            Assert.True(
                Math.Abs(pixels[i] - expected[i]) <= 2,
                $"{hash}: pixel ({i / 4 % width}, {i / 4 / width}) channel {"RGBA"[i % 4]} is {pixels[i]}, the reference's {expected[i]}");
        }

        var average = result.GetProperty("average");
        var referenceAverage = result.GetProperty("referenceAverage").EnumerateArray().Select(v => v.GetDouble()).ToArray();
        for (var channel = 0; channel < 4; channel++)
        {
            var value = average.GetProperty("rgba"[channel].ToString()).GetDouble();
            Assert.True(value == Math.Round(value) && value is >= 0 and <= 255, $"average {"rgba"[channel]} = {value}, not an integer 0–255");
            Assert.InRange(value / 255, referenceAverage[channel] - 1 / 255.0, referenceAverage[channel] + 1 / 255.0);
        }

        var png = Png(result.GetProperty("dataUrl").GetString());
        Assert.Equal(pixels, PngPixels(png, width, height));
        using var decoded = Image.NewFromBuffer(png, access: Enums.Access.Sequential, failOn: Enums.FailOn.Error);
        Assert.Equal((width, height, 4), (decoded.Width, decoded.Height, decoded.Bands));
        Assert.Equal(pixels, decoded.WriteToMemory<byte>());

        var milliseconds = result.GetProperty("milliseconds");
        output.WriteLine(
            $"{image}: {hash} ({hash.Length} base64 chars), {width} × {height}; decodeThumbHash {milliseconds.GetProperty("decode").GetDouble():F3} ms, "
            + $"placeholderDataUrl {milliseconds.GetProperty("dataUrl").GetDouble():F3} ms, reference thumbHashToRGBA {milliseconds.GetProperty("reference").GetDouble():F3} ms");
    }

    public static TheoryData<string, string> MalformedHashes()
    {
        var opaque = Convert.FromBase64String(Placeholder("a wide JPEG"));
        var transparent = Convert.FromBase64String(Placeholder("a half-transparent PNG"));
        var noLuminance = opaque.ToArray();
        noLuminance[3] &= 0xF8;
        return new()
        {
            { "empty", "\"\"" },
            { "null", "null" },
            { "a number", "42" },
            { "three bytes", "\"AAAA\"" },
            { "not base64", "\"*not base64*\"" },
            { "base64 of one byte too many characters", "\"AAAAAAAAA\"" },
            { "an opaque hash short of its last coefficients", JsonSerializer.Serialize(Convert.ToBase64String(opaque[..^2])) },
            { "a transparent hash short of its last coefficients", JsonSerializer.Serialize(Convert.ToBase64String(transparent[..^1])) },
            { "a transparent hash cut after its header", JsonSerializer.Serialize(Convert.ToBase64String(transparent[..5])) },
            { "a header with no luminance frequencies", JsonSerializer.Serialize(Convert.ToBase64String(noLuminance)) },
        };
    }

    [Theory]
    [MemberData(nameof(MalformedHashes))]
    public async Task A_malformed_hash_throws_an_error_that_says_so(string what, string json)
    {
        var result = await RunAsync(
            """
            import * as thumbhash from OURS;
            const value = JSON.parse(process.argv[1]), outcome = {};
            for (const name of ['decodeThumbHash', 'thumbHashAverageColor', 'placeholderDataUrl']) {
              try {
                outcome[name] = { threw: false, returned: String(JSON.stringify(thumbhash[name](value))).slice(0, 100) };
              } catch (error) {
                outcome[name] = { threw: true, isError: error instanceof Error, message: String(error?.message) };
              }
            }
            console.log(JSON.stringify(outcome));
            """,
            json);

        // An absent placeholder (null or empty) has no data URL; anything else malformed throws there too.
        var functions = json is "null" or "\"\""
            ? new[] { "decodeThumbHash", "thumbHashAverageColor" }
            : new[] { "decodeThumbHash", "thumbHashAverageColor", "placeholderDataUrl" };
        foreach (var function in functions)
        {
            var outcome = result.GetProperty(function);
            Assert.True(outcome.GetProperty("threw").GetBoolean(), $"{function} on {what} returned {outcome}");
            Assert.True(outcome.GetProperty("isError").GetBoolean(), $"{function} on {what} threw something not an Error: {outcome}");
            Assert.StartsWith("Not a ThumbHash: ", outcome.GetProperty("message").GetString(), StringComparison.Ordinal);
        }
    }

    [Theory]
    [InlineData("null")]
    [InlineData("\"\"")]
    public async Task No_placeholder_gives_no_data_url(string json)
    {
        var result = await RunAsync(
            """
            import { placeholderDataUrl } from OURS;
            console.log(JSON.stringify({ url: placeholderDataUrl(JSON.parse(process.argv[1])), absent: placeholderDataUrl(undefined) }));
            """,
            json);

        Assert.Equal(JsonValueKind.Null, result.GetProperty("url").ValueKind);
        Assert.Equal(JsonValueKind.Null, result.GetProperty("absent").ValueKind);
    }

    /// <summary>The placeholder our encoder makes, as ingest does, from a real encoded image.</summary>
    private static string Placeholder(string image)
    {
        var bytes = image switch
        {
            "a wide JPEG" => Encode(Pattern(1600, 500, alpha: false), "jpg"),
            "a tall JPEG" => Encode(Pattern(450, 1600, alpha: false), "jpg"),
            "a 50:1 strip" => Encode(Pattern(5000, 100, alpha: false), "jpg"),
            "a noisy JPEG" => TestImages.NoisyJpeg(800, 600),
            "a solid WebP" => TestImages.WebP(300, 200),
            "a half-transparent PNG" => TestImages.PngWithAlpha(300, 200),
            "a PNG with graded alpha" => Encode(Pattern(240, 400, alpha: true), "png"),
            _ => throw new ArgumentOutOfRangeException(nameof(image), image, null),
        };
        using var decoded = Image.NewFromBuffer(bytes);
        return Placeholders.From(decoded).ThumbHash;
    }

    /// <summary>Red rising to the right, green in waves down the picture, blue falling towards the bottom right; with
    /// <paramref name="alpha"/>, opacity rising from clear at the top.</summary>
    private static Image Pattern(int width, int height, bool alpha)
    {
        using var xy = Image.Xyz(width, height);
        using var x = xy[0];
        using var y = xy[1];
        using var red = x * (255.0 / width);
        using var angle = y * (720.0 / height);
        using var sine = angle.Sin();
        using var green = sine * 100 + 128;
        using var sum = x * (1.0 / width) + y * (1.0 / height);
        using var blue = sum * -127 + 254;
        using var opacity = y * (255.0 / height);
        using var joined = alpha ? red.Bandjoin(green, blue, opacity) : red.Bandjoin(green, blue);
        return joined.Cast(Enums.BandFormat.Uchar).Copy(interpretation: Enums.Interpretation.Srgb);
    }

    private static byte[] Encode(Image image, string format)
    {
        using (image)
        {
            return format == "png" ? image.PngsaveBuffer() : image.JpegsaveBuffer(q: 90);
        }
    }

    /// <summary>The PNG in a data URL.</summary>
    private static byte[] Png(string? url)
    {
        const string prefix = "data:image/png;base64,";
        Assert.NotNull(url);
        Assert.StartsWith(prefix, url, StringComparison.Ordinal);
        return Convert.FromBase64String(url[prefix.Length..]);
    }

    /// <summary>The pixels of an 8-bit RGBA PNG, read by hand: the signature, every chunk's CRC-32, the header, the
    /// zlib stream's Adler-32 and the rows (filter none) all checked.</summary>
    private static byte[] PngPixels(byte[] png, int width, int height)
    {
        byte[] signature = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A];
        Assert.Equal(signature, png[..8]);
        var chunks = new List<string>();
        using var idat = new MemoryStream();
        for (var at = 8; at < png.Length;)
        {
            var length = BinaryPrimitives.ReadInt32BigEndian(png.AsSpan(at));
            var typeAndData = png.AsSpan(at + 4, 4 + length);
            var type = Encoding.ASCII.GetString(typeAndData[..4]);
            Assert.Equal(TestImages.Crc32(typeAndData), BinaryPrimitives.ReadUInt32BigEndian(png.AsSpan(at + 8 + length)));
            var data = typeAndData[4..];
            if (type == "IHDR")
            {
                byte[] header = [.. Be32(width), .. Be32(height), 8, 6, 0, 0, 0]; // 8-bit RGBA, no interlace
                Assert.Equal(header, data.ToArray());
            }
            else if (type == "IDAT")
            {
                idat.Write(data);
            }

            chunks.Add(type);
            at += 12 + length;
        }

        Assert.Equal("IHDR", chunks[0]);
        Assert.Equal("IEND", chunks[^1]);
        Assert.Contains("IDAT", chunks);
        var zlib = idat.ToArray();
        using var inflater = new ZLibStream(new MemoryStream(zlib), CompressionMode.Decompress);
        using var raw = new MemoryStream();
        inflater.CopyTo(raw);
        var rows = raw.ToArray();
        Assert.Equal(Adler32(rows), BinaryPrimitives.ReadUInt32BigEndian(zlib.AsSpan(zlib.Length - 4)));
        Assert.Equal((width * 4 + 1) * height, rows.Length);
        var pixels = new List<byte>();
        for (var y = 0; y < height; y++)
        {
            var row = rows.AsSpan(y * (width * 4 + 1), width * 4 + 1);
            Assert.Equal(0, row[0]);
            pixels.AddRange(row[1..]);
        }

        return [.. pixels];
    }

    private static byte[] Be32(int value) => [(byte)(value >> 24), (byte)(value >> 16), (byte)(value >> 8), (byte)value];

    private static uint Adler32(byte[] data)
    {
        uint a = 1, b = 0;
        foreach (var value in data)
        {
            a = (a + value) % 65521;
            b = (b + a) % 65521;
        }

        return b << 16 | a;
    }

    private static byte[] Bytes(JsonElement array) => array.EnumerateArray().Select(v => (byte)v.GetInt32()).ToArray();

    /// <summary>Runs <paramref name="script"/> as an ES module under Node, OURS and REFERENCE in it replaced by the file
    /// URLs of our module and the reference one, with <paramref name="argument"/> as process.argv[1]; its output, JSON.</summary>
    private static async Task<JsonElement> RunAsync(string script, string argument)
    {
        Assert.True(File.Exists(Module), $"Our decoder is missing at {Module}.");
        Assert.True(
            File.Exists(Reference) || !script.Contains("REFERENCE", StringComparison.Ordinal),
            $"The reference decoder is missing at {Reference}: run npm ci --prefix tests/emulators (.ci/run does).");
        var source = script
            .Replace("OURS", JsonSerializer.Serialize(new Uri(Module).AbsoluteUri), StringComparison.Ordinal)
            .Replace("REFERENCE", JsonSerializer.Serialize(new Uri(Reference).AbsoluteUri), StringComparison.Ordinal);
        var start = new ProcessStartInfo("node", ["--input-type=module", "-e", source, argument])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        Process node;
        try
        {
            node = Process.Start(start)!;
        }
        catch (Win32Exception error)
        {
            throw new InvalidOperationException("These tests need Node (node on the PATH) to run the JavaScript decoders.", error);
        }

        using (node)
        {
            var stdout = node.StandardOutput.ReadToEndAsync();
            var stderr = node.StandardError.ReadToEndAsync();
            await node.WaitForExitAsync();
            Assert.True(node.ExitCode == 0, $"node exited with {node.ExitCode}: {await stderr}");
            return JsonDocument.Parse(await stdout).RootElement.Clone();
        }
    }
}
