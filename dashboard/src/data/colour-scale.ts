/**
 * The diverging colour scale of the heatmaps. Centre (white) is ln‖J‖ = 0,
 * i.e. ‖J_t‖ = 1: a step that neither stretches nor shrinks. Blue is
 * shrinking (the seed's β < 1, vanishing), red is stretching (exploding).
 * The domain is symmetric, [−m, m], so equal distances from 1 in log space
 * (×2 and ÷2) get equally strong colours.
 *
 * Colours are precomputed into a 256-entry table of packed RGBA (little-endian
 * Uint32, the byte order of ImageData on every browser we target): painting a
 * column is one table lookup per pixel.
 */

/** Non-finite values get their own colours, outside the ramp, so they cannot be mistaken for data. */
export const NAN_RGB: readonly [number, number, number] = [160, 32, 240]; // purple: "not a number"
export const POS_INF_RGB: readonly [number, number, number] = [60, 0, 0]; // past the darkest red
export const NEG_INF_RGB: readonly [number, number, number] = [0, 0, 60]; // past the darkest blue
export const EMPTY_RGBA = 0; // transparent: no measurement there

// Anchors of the ramp from −m to +m (ColorBrewer RdBu, reversed so red = large).
const ANCHORS: readonly (readonly [number, number, number])[] = [
  [5, 48, 97],
  [33, 102, 172],
  [67, 147, 195],
  [146, 197, 222],
  [209, 229, 240],
  [247, 247, 247],
  [253, 219, 199],
  [244, 165, 130],
  [214, 96, 77],
  [178, 24, 43],
  [103, 0, 31],
];

export const LUT_SIZE = 256;

function pack(r: number, g: number, b: number, a = 255): number {
  return ((a << 24) | (b << 16) | (g << 8) | r) >>> 0;
}

/** The RGB colour at position u ∈ [0, 1] of the ramp (0 = −m, 0.5 = centre, 1 = +m). */
export function rampRgb(u: number): [number, number, number] {
  const x = Math.min(1, Math.max(0, u)) * (ANCHORS.length - 1);
  const i = Math.min(ANCHORS.length - 2, Math.floor(x));
  const f = x - i;
  const a = ANCHORS[i]!;
  const b = ANCHORS[i + 1]!;
  return [Math.round(a[0] + (b[0] - a[0]) * f), Math.round(a[1] + (b[1] - a[1]) * f), Math.round(a[2] + (b[2] - a[2]) * f)];
}

const LUT = new Uint32Array(LUT_SIZE);
for (let i = 0; i < LUT_SIZE; i++) {
  const [r, g, b] = rampRgb(i / (LUT_SIZE - 1));
  LUT[i] = pack(r, g, b);
}

export class DivergingScale {
  /** Half-width m of the symmetric domain [−m, m] (in the heatmap's units, e.g. ln‖J‖). */
  constructor(public readonly halfRange: number) {
    if (!(halfRange > 0) || !Number.isFinite(halfRange)) throw new Error(`DivergingScale: halfRange must be a positive finite number, got ${halfRange}`);
  }

  /** Position on the ramp, 0..1; values beyond ±m are clamped to the ends. */
  position(v: number): number {
    return Math.min(1, Math.max(0, 0.5 + v / (2 * this.halfRange)));
  }

  /** Packed RGBA for ImageData's Uint32 view. NaN and ±∞ get their own colours. */
  packed(v: number): number {
    if (Number.isNaN(v)) return pack(...NAN_RGB);
    if (v === Infinity) return pack(...POS_INF_RGB);
    if (v === -Infinity) return pack(...NEG_INF_RGB);
    return LUT[Math.round(this.position(v) * (LUT_SIZE - 1))]!;
  }

  /** CSS colour of a value, for legends and tooltips. */
  css(v: number): string {
    const p = this.packed(v);
    return `rgb(${p & 255},${(p >>> 8) & 255},${(p >>> 16) & 255})`;
  }
}

/**
 * The half-range to use for data whose largest |value| is `maxAbs`: the next
 * power of two above it (at least `floor`). Snapping to powers of two means a
 * growing range repaints the whole heatmap only log₂ times, not per event.
 */
export function snapHalfRange(maxAbs: number, floor = 0.25): number {
  if (!Number.isFinite(maxAbs) || maxAbs <= floor) return floor;
  return 2 ** Math.ceil(Math.log2(maxAbs));
}
