// ThumbHash decoder (https://evanw.github.io/thumbhash/), written from the format; no dependencies, canvas or eval.
// A hash: 24-bit and 16-bit little-endian headers, an alpha byte if the image has alpha, then 4-bit coefficients:
//   h24: L average (6 bits), P average (6), Q average (6), L scale (5), has alpha (1)
//   h16: L frequencies along the short side (3), P scale (6), Q scale (6), is landscape (1)
//   alpha byte: A average (4), A scale (4)
// L = (r + g + b) / 3, P = (r + g) / 2 - b, Q = r - g, A alpha. A channel keeps the cosine coefficients of a triangle
// of frequencies, cx * ny < nx * (ny - cy), but its average; nibble n is (n / 7.5 - 1) * scale. In the order L, P, Q,
// A, low nibble first. L has 7 (5 with alpha) frequencies along the long side, P and Q 3 × 3, A 5 × 5.

const { PI, cos, max, min, round } = Math;

// The header and the coefficients, checked: base64, and long enough for every coefficient the header announces.
function read(base64) {
  const text = typeof base64 === 'string' ? base64.trim() : null;
  if (text === null || !/^[A-Za-z0-9+/]*={0,2}$/.test(text) || text.length % 4 === 1) {
    throw new Error(`Not a ThumbHash: ${JSON.stringify(String(base64).slice(0, 50))} is not standard base64.`);
  }
  const hash = Uint8Array.from(atob(text), (c) => c.charCodeAt(0));
  if (hash.length < 5) throw new Error(`Not a ThumbHash: ${hash.length} bytes, fewer than its 5-byte header.`);
  const h24 = hash[0] | hash[1] << 8 | hash[2] << 16, h16 = hash[3] | hash[4] << 8;
  const alpha = h24 >> 23 === 1, short = h16 & 7, long = alpha ? 5 : 7, landscape = h16 >> 15, start = alpha ? 6 : 5;
  if (!short) throw new Error('Not a ThumbHash: its header gives no luminance frequencies.');
  let n = 0;
  const channel = (nx, ny, scale) => {
    const ac = [];
    for (let cy = 0; cy < ny; cy++) {
      for (let cx = cy ? 0 : 1; cx * ny < nx * (ny - cy); cx++, n++) {
        ac.push([cx, cy, ((hash[start + (n >> 1)] >> (n & 1) * 4 & 15) / 7.5 - 1) * scale]);
      }
    }
    return ac;
  };
  const lx = landscape ? long : short, ly = landscape ? short : long; // the aspect ratio is about lx / ly
  // P and Q boosted by 1.25, as the reference decoder does, against saturation lost to quantisation.
  const h = {
    lx, ly, L: channel(max(3, lx), max(3, ly), (h24 >> 18 & 31) / 31),
    P: channel(3, 3, (h16 >> 3 & 63) / 63 * 1.25), Q: channel(3, 3, (h16 >> 9 & 63) / 63 * 1.25),
    A: alpha ? channel(5, 5, (hash[5] >> 4) / 15) : [],
    l: (h24 & 63) / 63, p: (h24 >> 6 & 63) / 31.5 - 1, q: (h24 >> 12 & 63) / 31.5 - 1, a: alpha ? (hash[5] & 15) / 15 : 1,
  };
  const needed = start + (n + 1 >> 1);
  if (hash.length < needed) throw new Error(`Not a ThumbHash: ${hash.length} bytes, its header announces ${needed}.`);
  return h;
}

/** The average colour: `{ r, g, b, a }`, each an integer 0–255 (a is 255 for an opaque image). */
export function thumbHashAverageColor(base64) {
  const { l, p, q, a } = read(base64), b = l - 2 / 3 * p, r = (3 * l - b + q) / 2; // L, P, Q back to RGB
  const byte = (v) => round(255 * max(0, min(1, v)));
  return { r: byte(r), g: byte(r - q), b: byte(b), a: byte(a) };
}

/** The decoded picture, 32 pixels on its longer side: `{ width, height, rgba }`, rgba a Uint8ClampedArray of
 * width × height × 4 bytes, not premultiplied. Throws an Error on a malformed hash. */
export function decodeThumbHash(base64) {
  const { L, P, Q, A, ...h } = read(base64);
  const ratio = h.lx / h.ly, width = round(ratio > 1 ? 32 : 32 * ratio), height = round(ratio > 1 ? 32 / ratio : 32);
  const rgba = new Uint8ClampedArray(width * height * 4), fx = [], fy = [];
  // The inverse cosine transform: the average plus each coefficient times twice its two cosines.
  const at = (ac, dc) => {
    for (let j = 0; j < ac.length; j++) dc += ac[j][2] * fx[ac[j][0]] * fy[ac[j][1]] * 2;
    return dc;
  };
  for (let y = 0, i = 0; y < height; y++) {
    for (let c = 0; c < 7; c++) fy[c] = cos(PI / height * (y + 0.5) * c);
    for (let x = 0; x < width; x++, i += 4) {
      for (let c = 0; c < 7; c++) fx[c] = cos(PI / width * (x + 0.5) * c);
      const l = at(L, h.l), p = at(P, h.p), q = at(Q, h.q), b = l - 2 / 3 * p, r = (3 * l - b + q) / 2; // as above
      rgba[i] = 255 * r; // a Uint8ClampedArray clamps to 0–255 and rounds
      rgba[i + 1] = 255 * (r - q);
      rgba[i + 2] = 255 * b;
      rgba[i + 3] = 255 * at(A, h.a);
    }
  }
  return { width, height, rgba };
}

/** The decoded picture as a `data:image/png;base64,...` URL (uncompressed 8-bit RGBA PNG, made without canvas), or
 * null for a null, undefined or empty hash. Throws an Error on a malformed one. */
export function placeholderDataUrl(base64) {
  if (base64 == null || base64 === '') return null;
  const { width, height, rgba } = decodeThumbHash(base64), row = width * 4;
  // Rows, each a filter byte (0, none) then pixels: at most 32 × 129 bytes, one stored block.
  const raw = new Uint8Array((row + 1) * height);
  for (let y = 0; y < height; y++) raw.set(rgba.subarray(y * row, y * row + row), y * (row + 1) + 1);
  let s1 = 1, s2 = 0;
  for (const byte of raw) s1 = (s1 + byte) % 65521, s2 = (s2 + s1) % 65521;
  // zlib: header, a final deflate block stored as is (length, its complement), the Adler-32 of the rows.
  const n = raw.length, zlib = [0x78, 1, 1, n & 255, n >> 8, ~n & 255, ~n >> 8 & 255, ...raw, ...be32(s2 << 16 | s1)];
  const png = [137, 80, 78, 71, 13, 10, 26, 10, ...chunk('IHDR', [...be32(width), ...be32(height), 8, 6, 0, 0, 0]),
    ...chunk('IDAT', zlib), ...chunk('IEND', [])];
  return 'data:image/png;base64,' + btoa(String.fromCharCode(...png));
}

const be32 = (n) => [n >>> 24, n >> 16 & 255, n >> 8 & 255, n & 255];

// A PNG chunk: data length, type, data, and the CRC-32 of type and data.
function chunk(type, data) {
  const body = [...type].map((c) => c.charCodeAt(0)).concat(data);
  let crc = ~0;
  for (const byte of body) {
    crc ^= byte;
    for (let k = 0; k < 8; k++) crc = crc & 1 ? 0xedb88320 ^ crc >>> 1 : crc >>> 1;
  }
  return [...be32(data.length), ...body, ...be32(~crc)];
}
