// Produces the service's three variants with sharp, the way a Node image service would, and prints
// one JSON line per image: the CPU seconds (user + system, all threads) it took.
// Usage: node sharp-variants.mjs REPEATS FILE...
import sharp from "sharp";

sharp.concurrency(1); // one libvips thread, like the service's per-image budget in the benchmark
sharp.cache(false);

const [repeats, ...files] = process.argv.slice(2);
for (const file of files) {
  const runs = [];
  for (let i = 0; i < Number(repeats); i++) {
    const start = process.cpuUsage();
    const options = { failOn: "error", limitInputPixels: false };
    await sharp(file, options).rotate().resize(320, 320, { fit: "cover", position: "centre" }).webp({ quality: 75 }).toBuffer();
    await sharp(file, options).rotate().resize(1080, 1350, { fit: "inside", withoutEnlargement: true }).webp({ quality: 80 }).toBuffer();
    // The original in the service's format: PNG for lossless or transparent sources, JPEG q90 otherwise.
    const { format, hasAlpha } = await sharp(file, options).metadata();
    const original = sharp(file, options).rotate();
    await (format === "png" || format === "gif" || hasAlpha
      ? original.png({ compressionLevel: 6 })
      : original.jpeg({ quality: 90, optimiseCoding: false, chromaSubsampling: "4:2:0" })).toBuffer();
    const used = process.cpuUsage(start);
    runs.push((used.user + used.system) / 1e6);
  }

  console.log(JSON.stringify({ file, cpu_seconds: runs }));
}
