// Draws keel's tutorial picture and writes it as a baseline JPEG, with no dependencies.
//
// Usage: node scripts/make-jpeg.mjs [OUT]   (default src/demo/public/test.jpg)
//
// Owns: a tiny picture (sky, sun, sea, a sailboat whose keel shows under the
// water line) and a minimal baseline JPEG encoder: JFIF APP0, YCbCr 4:4:4,
// the example quantisation and Huffman tables of ITU-T T.81 Annex K, one scan.
// The output is deterministic: the same bytes on every run, so the committed
// test.jpg can be checked against it. Not a general-purpose encoder: the
// width and height must be multiples of 8 (no edge padding).
import { writeFileSync } from 'node:fs';

const WIDTH = 160;
const HEIGHT = 120;
/** Quality in the IJG sense (1..100): scales the Annex K tables. */
const QUALITY = 90;

// ---------------------------------------------------------------- the picture

/** Returns [r, g, b] (0..255) of pixel (x, y). */
function pixel(x, y) {
  const horizon = 78;
  // The keel: a dark fin under the hull, visible through the water.
  if (y >= 84 && y < 100 && x >= 76 && x < 86 && x - 76 < (100 - y) * 0.9 + 3) return [60, 52, 48];
  // The hull: a trapezoid, wider at the deck.
  if (y >= 72 && y < 85) {
    const inset = (y - 72) * 0.9;
    if (x >= 46 + inset && x < 114 - inset) return y < 75 ? [235, 235, 225] : [150, 40, 35];
  }
  // The mast.
  if (x >= 79 && x < 81 && y >= 14 && y < 72) return [90, 70, 50];
  // The mainsail: a right triangle aft of the mast.
  if (y >= 16 && y < 70 && x >= 82 && x < 82 + (y - 16) * 0.5) return [250, 250, 245];
  // The jib: a triangle before the mast.
  if (y >= 22 && y < 70 && x < 78 && x >= 78 - (y - 22) * 0.42) return [245, 240, 230];
  // The sun.
  if ((x - 132) ** 2 + (y - 24) ** 2 <= 12 ** 2) return [255, 214, 90];
  if (y < horizon) {
    const t = y / horizon;
    return [Math.round(110 + 120 * t), Math.round(170 + 70 * t), 250];
  }
  const t = (y - horizon) / (HEIGHT - horizon);
  const wave = ((x + Math.round(6 * Math.sin(y))) % 24 < 3 && y % 6 === 0) ? 40 : 0;
  return [Math.round(20 + 20 * t) + wave, Math.round(90 - 40 * t) + wave, Math.round(160 - 50 * t) + wave];
}

// ---------------------------------------------------------------- tables (T.81 Annex K)

const LUMA_Q = [
  16, 11, 10, 16, 24, 40, 51, 61, 12, 12, 14, 19, 26, 58, 60, 55, 14, 13, 16, 24, 40, 57, 69, 56, 14, 17, 22, 29, 51, 87, 80, 62,
  18, 22, 37, 56, 68, 109, 103, 77, 24, 35, 55, 64, 81, 104, 113, 92, 49, 64, 78, 87, 103, 121, 120, 101, 72, 92, 95, 98, 112, 100, 103, 99,
];
const CHROMA_Q = [
  17, 18, 24, 47, 99, 99, 99, 99, 18, 21, 26, 66, 99, 99, 99, 99, 24, 26, 56, 99, 99, 99, 99, 99, 47, 66, 99, 99, 99, 99, 99, 99,
  99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99,
];
/** ZIGZAG[k] = natural (row-major) index of the k-th coefficient in zigzag order. */
const ZIGZAG = [
  0, 1, 8, 16, 9, 2, 3, 10, 17, 24, 32, 25, 18, 11, 4, 5, 12, 19, 26, 33, 40, 48, 41, 34, 27, 20, 13, 6, 7, 14, 21, 28, 35, 42, 49, 56,
  57, 50, 43, 36, 29, 22, 15, 23, 30, 37, 44, 51, 58, 59, 52, 45, 38, 31, 39, 46, 53, 60, 61, 54, 47, 55, 62, 63,
];
const DC_LUMA = { bits: [0, 1, 5, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0, 0], vals: [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11] };
const DC_CHROMA = { bits: [0, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0], vals: [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11] };
const AC_LUMA = {
  bits: [0, 2, 1, 3, 3, 2, 4, 3, 5, 5, 4, 4, 0, 0, 1, 0x7d],
  vals: [
    0x01, 0x02, 0x03, 0x00, 0x04, 0x11, 0x05, 0x12, 0x21, 0x31, 0x41, 0x06, 0x13, 0x51, 0x61, 0x07, 0x22, 0x71, 0x14, 0x32, 0x81, 0x91, 0xa1, 0x08,
    0x23, 0x42, 0xb1, 0xc1, 0x15, 0x52, 0xd1, 0xf0, 0x24, 0x33, 0x62, 0x72, 0x82, 0x09, 0x0a, 0x16, 0x17, 0x18, 0x19, 0x1a, 0x25, 0x26, 0x27, 0x28,
    0x29, 0x2a, 0x34, 0x35, 0x36, 0x37, 0x38, 0x39, 0x3a, 0x43, 0x44, 0x45, 0x46, 0x47, 0x48, 0x49, 0x4a, 0x53, 0x54, 0x55, 0x56, 0x57, 0x58, 0x59,
    0x5a, 0x63, 0x64, 0x65, 0x66, 0x67, 0x68, 0x69, 0x6a, 0x73, 0x74, 0x75, 0x76, 0x77, 0x78, 0x79, 0x7a, 0x83, 0x84, 0x85, 0x86, 0x87, 0x88, 0x89,
    0x8a, 0x92, 0x93, 0x94, 0x95, 0x96, 0x97, 0x98, 0x99, 0x9a, 0xa2, 0xa3, 0xa4, 0xa5, 0xa6, 0xa7, 0xa8, 0xa9, 0xaa, 0xb2, 0xb3, 0xb4, 0xb5, 0xb6,
    0xb7, 0xb8, 0xb9, 0xba, 0xc2, 0xc3, 0xc4, 0xc5, 0xc6, 0xc7, 0xc8, 0xc9, 0xca, 0xd2, 0xd3, 0xd4, 0xd5, 0xd6, 0xd7, 0xd8, 0xd9, 0xda, 0xe1, 0xe2,
    0xe3, 0xe4, 0xe5, 0xe6, 0xe7, 0xe8, 0xe9, 0xea, 0xf1, 0xf2, 0xf3, 0xf4, 0xf5, 0xf6, 0xf7, 0xf8, 0xf9, 0xfa,
  ],
};
const AC_CHROMA = {
  bits: [0, 2, 1, 2, 4, 4, 3, 4, 7, 5, 4, 4, 0, 1, 2, 0x77],
  vals: [
    0x00, 0x01, 0x02, 0x03, 0x11, 0x04, 0x05, 0x21, 0x31, 0x06, 0x12, 0x41, 0x51, 0x07, 0x61, 0x71, 0x13, 0x22, 0x32, 0x81, 0x08, 0x14, 0x42, 0x91,
    0xa1, 0xb1, 0xc1, 0x09, 0x23, 0x33, 0x52, 0xf0, 0x15, 0x62, 0x72, 0xd1, 0x0a, 0x16, 0x24, 0x34, 0xe1, 0x25, 0xf1, 0x17, 0x18, 0x19, 0x1a, 0x26,
    0x27, 0x28, 0x29, 0x2a, 0x35, 0x36, 0x37, 0x38, 0x39, 0x3a, 0x43, 0x44, 0x45, 0x46, 0x47, 0x48, 0x49, 0x4a, 0x53, 0x54, 0x55, 0x56, 0x57, 0x58,
    0x59, 0x5a, 0x63, 0x64, 0x65, 0x66, 0x67, 0x68, 0x69, 0x6a, 0x73, 0x74, 0x75, 0x76, 0x77, 0x78, 0x79, 0x7a, 0x82, 0x83, 0x84, 0x85, 0x86, 0x87,
    0x88, 0x89, 0x8a, 0x92, 0x93, 0x94, 0x95, 0x96, 0x97, 0x98, 0x99, 0x9a, 0xa2, 0xa3, 0xa4, 0xa5, 0xa6, 0xa7, 0xa8, 0xa9, 0xaa, 0xb2, 0xb3, 0xb4,
    0xb5, 0xb6, 0xb7, 0xb8, 0xb9, 0xba, 0xc2, 0xc3, 0xc4, 0xc5, 0xc6, 0xc7, 0xc8, 0xc9, 0xca, 0xd2, 0xd3, 0xd4, 0xd5, 0xd6, 0xd7, 0xd8, 0xd9, 0xda,
    0xe2, 0xe3, 0xe4, 0xe5, 0xe6, 0xe7, 0xe8, 0xe9, 0xea, 0xf2, 0xf3, 0xf4, 0xf5, 0xf6, 0xf7, 0xf8, 0xf9, 0xfa,
  ],
};

/** IJG quality scaling of a base table (natural order), clamped to 1..255 for 8-bit tables. */
function scaleTable(base, quality) {
  const scale = quality < 50 ? 5000 / quality : 200 - quality * 2;
  return base.map((q) => Math.min(255, Math.max(1, Math.floor((q * scale + 50) / 100))));
}

/** Canonical Huffman codes from BITS/HUFFVAL (T.81 Annex C): value -> [code, length]. */
function buildCodes({ bits, vals }) {
  const codes = new Map();
  let code = 0;
  let k = 0;
  for (let len = 1; len <= 16; len++) {
    for (let i = 0; i < bits[len - 1]; i++) codes.set(vals[k++], [code++, len]);
    code <<= 1;
  }
  return codes;
}

// ---------------------------------------------------------------- encoding

class BitWriter {
  bytes = [];
  acc = 0;
  count = 0;
  write(code, length) {
    for (let i = length - 1; i >= 0; i--) {
      this.acc = (this.acc << 1) | ((code >> i) & 1);
      if (++this.count === 8) this.#flushByte();
    }
  }
  #flushByte() {
    this.bytes.push(this.acc);
    // A 0xFF byte in entropy-coded data is followed by a stuffed 0x00 (T.81 F.1.2.3).
    if (this.acc === 0xff) this.bytes.push(0);
    this.acc = 0;
    this.count = 0;
  }
  /** Pads the last byte with 1-bits (T.81 F.1.2.3). */
  finish() {
    while (this.count !== 0) this.write(1, 1);
    return this.bytes;
  }
}

/** Size category of a coefficient and its extra bits (T.81 F.1.2.1). */
function category(v) {
  const a = Math.abs(v);
  let size = 0;
  while (a >> size) size++;
  const bits = v >= 0 ? v : v + (1 << size) - 1;
  return [size, bits];
}

const COS = Array.from({ length: 8 }, (_, x) => Array.from({ length: 8 }, (_, u) => Math.cos(((2 * x + 1) * u * Math.PI) / 16)));

/** Forward DCT of an 8x8 block (natural order), straight from the T.81 A.3.3 formula. */
function fdct(block) {
  const out = new Array(64);
  for (let v = 0; v < 8; v++) {
    for (let u = 0; u < 8; u++) {
      let sum = 0;
      for (let y = 0; y < 8; y++) for (let x = 0; x < 8; x++) sum += block[y * 8 + x] * COS[x][u] * COS[y][v];
      const cu = u === 0 ? Math.SQRT1_2 : 1;
      const cv = v === 0 ? Math.SQRT1_2 : 1;
      out[v * 8 + u] = 0.25 * cu * cv * sum;
    }
  }
  return out;
}

function encodeBlock(writer, block, quant, dcCodes, acCodes, prevDc) {
  const coef = fdct(block);
  const q = ZIGZAG.map((n) => Math.round(coef[n] / quant[n]));
  const [dcSize, dcBits] = category(q[0] - prevDc);
  writer.write(...dcCodes.get(dcSize));
  if (dcSize > 0) writer.write(dcBits, dcSize);
  let run = 0;
  for (let k = 1; k < 64; k++) {
    if (q[k] === 0) {
      run++;
      continue;
    }
    while (run > 15) {
      writer.write(...acCodes.get(0xf0)); // ZRL: sixteen zeros
      run -= 16;
    }
    const [size, bits] = category(q[k]);
    writer.write(...acCodes.get((run << 4) | size));
    writer.write(bits, size);
    run = 0;
  }
  if (run > 0) writer.write(...acCodes.get(0x00)); // EOB
  return q[0];
}

function segment(marker, payload) {
  const len = payload.length + 2;
  return [0xff, marker, len >> 8, len & 0xff, ...payload];
}

function encode() {
  const lumaQ = scaleTable(LUMA_Q, QUALITY);
  const chromaQ = scaleTable(CHROMA_Q, QUALITY);
  const codes = [buildCodes(DC_LUMA), buildCodes(AC_LUMA), buildCodes(DC_CHROMA), buildCodes(AC_CHROMA)];
  // RGB -> YCbCr (JFIF 1.02), level-shifted by -128 for the DCT.
  const planes = [new Float64Array(WIDTH * HEIGHT), new Float64Array(WIDTH * HEIGHT), new Float64Array(WIDTH * HEIGHT)];
  for (let y = 0; y < HEIGHT; y++) {
    for (let x = 0; x < WIDTH; x++) {
      const [r, g, b] = pixel(x, y).map((c) => Math.min(255, Math.max(0, c)));
      const i = y * WIDTH + x;
      planes[0][i] = 0.299 * r + 0.587 * g + 0.114 * b - 128;
      planes[1][i] = -0.168736 * r - 0.331264 * g + 0.5 * b;
      planes[2][i] = 0.5 * r - 0.418688 * g - 0.081312 * b;
    }
  }
  const writer = new BitWriter();
  const prev = [0, 0, 0];
  for (let by = 0; by < HEIGHT; by += 8) {
    for (let bx = 0; bx < WIDTH; bx += 8) {
      for (let c = 0; c < 3; c++) {
        const block = new Array(64);
        for (let y = 0; y < 8; y++) for (let x = 0; x < 8; x++) block[y * 8 + x] = planes[c][(by + y) * WIDTH + bx + x];
        const [dc, ac] = c === 0 ? [codes[0], codes[1]] : [codes[2], codes[3]];
        prev[c] = encodeBlock(writer, block, c === 0 ? lumaQ : chromaQ, dc, ac, prev[c]);
      }
    }
  }
  const dht = (cls, id, t) => [(cls << 4) | id, ...t.bits, ...t.vals];
  return Buffer.from([
    0xff, 0xd8, // SOI
    ...segment(0xe0, [0x4a, 0x46, 0x49, 0x46, 0x00, 1, 2, 0, 0, 1, 0, 1, 0, 0]), // APP0 "JFIF\0" v1.2, aspect 1:1
    ...segment(0xdb, [0x00, ...ZIGZAG.map((n) => lumaQ[n]), 0x01, ...ZIGZAG.map((n) => chromaQ[n])]), // DQT in zigzag order
    ...segment(0xc0, [8, HEIGHT >> 8, HEIGHT & 0xff, WIDTH >> 8, WIDTH & 0xff, 3, 1, 0x11, 0, 2, 0x11, 1, 3, 0x11, 1]), // SOF0
    ...segment(0xc4, [...dht(0, 0, DC_LUMA), ...dht(1, 0, AC_LUMA), ...dht(0, 1, DC_CHROMA), ...dht(1, 1, AC_CHROMA)]),
    ...segment(0xda, [3, 1, 0x00, 2, 0x11, 3, 0x11, 0, 63, 0]), // SOS: all three components, full spectral range
    ...writer.finish(),
    0xff, 0xd9, // EOI
  ]);
}

const out = process.argv[2] ?? 'src/demo/public/test.jpg';
const jpeg = encode();
writeFileSync(out, jpeg);
console.log(`wrote ${out}: ${WIDTH}x${HEIGHT}, ${jpeg.length} bytes`);
