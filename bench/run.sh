#!/usr/bin/env bash
# The benchmark suite: fetches real photographs and the peers, measures the service's pipeline beside them,
# and writes BENCHMARKS.md at the repository root.   Usage: bash bench/run.sh [--quick]
set -euo pipefail
cd "$(dirname "$0")"
cache="$PWD/.cache"
mkdir -p "$cache/photos" "$cache/work"

# Real camera JPEGs from Debian's wallpaper packages (2–18 MP), fetched once into the cache, never committed.
if [[ ! -f "$cache/photos/.fetched" ]]; then
  (cd "$cache" && apt-get download mate-backgrounds ukui-wallpapers)
  for deb in "$cache"/*.deb; do dpkg -x "$deb" "$cache/extracted"; done
  find "$cache/extracted" -iname '*.jpg' -exec cp {} "$cache/photos/" \;
  touch "$cache/photos/.fetched"
fi

# Peers: the vipsthumbnail CLI (Debian), sharp (npm, pinned in peers/package-lock.json) and Pillow (Debian).
if ! command -v vipsthumbnail >/dev/null 2>&1; then
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq libvips-tools
fi
npm ci --prefix peers --no-audit --no-fund >/dev/null
# The Python + Pillow peer (section 10) runs under Debian's interpreter with Debian's Pillow, by path: a python3
# earlier on PATH (pyenv) may have no PIL.
if ! /usr/bin/python3 -c 'import PIL' >/dev/null 2>&1; then
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-pil
fi

dotnet run -c Release --project ImageService.Bench -- \
  --photos "$cache/photos" --peers "$PWD/peers" --work "$cache/work" --report "$PWD/../BENCHMARKS.md" --repo "$PWD/.." "$@"
