"""The service's three renditions made the way a hand-written Python + Pillow Lambda would make them.

For each photo: decode once, turn it upright by its EXIF orientation, convert to RGB (RGBA if it has transparency),
then encode to memory
  - the original at full resolution in the service's format: JPEG q90, or PNG (zlib level 6, Pillow's default) for
    PNG and GIF sources and any image with transparency, as the service and the sharp peer keep those lossless,
  - a display rendition fitting 1080 x 1350 (never enlarged) as WebP q80,
  - a 320 x 320 centre-crop thumbnail as WebP q75.
Prints one JSON line per photo with the wall and CPU seconds (time.process_time: user + system, all threads) of
each run: of the processing alone (the photo's bytes already in memory, as after an S3 GET), and of reading the file
and processing it together.

Usage: /usr/bin/python3 pillow_variants.py [--repeats N] FILE...
Needs Debian's python3-pil (a pyenv Python first on PATH may have no PIL: call /usr/bin/python3).
"""

import argparse
import io
import json
import sys
import time

import PIL
from PIL import Image, ImageOps

DISPLAY_BOX = (1080, 1350)
THUMBNAIL_SIZE = (320, 320)


def renditions(data: bytes) -> dict:
    """The three encoded renditions of one photo's bytes, with their sizes."""
    with Image.open(io.BytesIO(data)) as decoded:
        decoded.load()
        source_format = decoded.format
        upright = ImageOps.exif_transpose(decoded)
    transparent = upright.mode in ("RGBA", "LA", "PA") or "transparency" in upright.info
    mode = "RGBA" if transparent else "RGB"
    if upright.mode != mode:
        upright = upright.convert(mode)

    if source_format in ("PNG", "GIF") or transparent:
        original = encode(upright, "PNG", compress_level=6)
    else:
        original = encode(upright, "JPEG", quality=90)

    # Image.thumbnail fits the box keeping the aspect ratio and never enlarges; it works in place, hence the copy.
    display = upright.copy()
    display.thumbnail(DISPLAY_BOX, Image.Resampling.LANCZOS)
    display_bytes = encode(display, "WEBP", quality=80)

    # The thumbnail from the display rendition when that still covers 320 x 320: far fewer pixels to resample than
    # the full photo, as a careful hand-written function would do. A very wide or tall photo falls back to the full one.
    source = display if min(display.size) >= max(THUMBNAIL_SIZE) else upright
    thumbnail = ImageOps.fit(source, THUMBNAIL_SIZE, Image.Resampling.LANCZOS, centering=(0.5, 0.5))
    thumbnail_bytes = encode(thumbnail, "WEBP", quality=75)

    return {
        "width": upright.width,
        "height": upright.height,
        "original_bytes": len(original),
        "display": [display.width, display.height],
        "display_bytes": len(display_bytes),
        "thumbnail_bytes": len(thumbnail_bytes),
    }


def encode(image: Image.Image, format_name: str, **options) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format_name, **options)
    return buffer.getvalue()


def timed(work):
    """Runs work() and returns its result with the wall and CPU seconds it took."""
    wall, cpu = time.perf_counter(), time.process_time()
    result = work()
    return result, time.perf_counter() - wall, time.process_time() - cpu


def read(path: str) -> bytes:
    with open(path, "rb") as file:
        return file.read()


def measure(path: str, repeats: int) -> dict:
    runs = []
    output = None
    for _ in range(repeats):
        data = read(path)
        output, wall, cpu = timed(lambda: renditions(data))
        _, wall_with_read, cpu_with_read = timed(lambda: renditions(read(path)))
        runs.append({"wall_seconds": wall, "cpu_seconds": cpu,
                     "wall_seconds_with_read": wall_with_read, "cpu_seconds_with_read": cpu_with_read})

    return {
        "file": path,
        "bytes": len(read(path)),
        "renditions": output,
        "wall_seconds": [r["wall_seconds"] for r in runs],
        "cpu_seconds": [r["cpu_seconds"] for r in runs],
        "wall_seconds_with_read": [r["wall_seconds_with_read"] for r in runs],
        "cpu_seconds_with_read": [r["cpu_seconds_with_read"] for r in runs],
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3, help="runs per photo (each also run once more with the read)")
    parser.add_argument("files", nargs="+")
    arguments = parser.parse_args()
    print(json.dumps({"pillow": PIL.__version__, "python": sys.version.split()[0]}), flush=True)
    for path in arguments.files:
        print(json.dumps(measure(path, arguments.repeats)), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
