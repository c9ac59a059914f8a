import { seededRandom } from '../lib/random.mjs';

/**
 * The embedded Reber grammar (Hochreiter & Schmidhuber 1997): B, then T or
 * P, then a string of the plain Reber grammar, then the same T or P again,
 * then E. Predicting that second-to-last symbol means remembering the second
 * symbol across the whole inner string — the classic long-range dependency.
 */
export const SYMBOLS = ['B', 'T', 'P', 'S', 'X', 'V', 'E'];

// The plain Reber automaton: state → [(symbol, next state)], state 5 accepts.
const REBER = {
  0: [['T', 1], ['P', 2]],
  1: [['S', 1], ['X', 3]],
  2: [['T', 2], ['V', 4]],
  3: [['X', 2], ['S', 5]],
  4: [['P', 3], ['V', 5]],
};

function reberString(random, minLength, maxLength) {
  for (;;) {
    let state = 0;
    const out = ['B'];
    while (state !== 5) {
      const options = REBER[state];
      const [symbol, next] = options[Math.floor(random() * options.length)];
      out.push(symbol);
      state = next;
    }
    out.push('E');
    if (out.length >= minLength && out.length <= maxLength) return out;
  }
}

/**
 * Embedded Reber strings, each cut just before its final branch symbol and
 * padded at the front with B to `length` symbols. The target is that branch
 * symbol: T (1) or P (0), decided by the second symbol, an inner string
 * (of at least `minInner` symbols) earlier.
 */
export function embeddedReber(count, length, seed = 1, minInner = 8) {
  const random = seededRandom(seed);
  const sequences = [];
  const labels = [];
  for (let i = 0; i < count; i++) {
    const branch = random() < 0.5 ? 'T' : 'P';
    const inner = reberString(random, minInner, length - 2);
    // The input ends where the echo of the branch symbol would come.
    const symbols = ['B', branch, ...inner];
    while (symbols.length < length) symbols.unshift('B');
    sequences.push(symbols);
    labels.push(branch === 'T' ? 1 : 0);
  }
  return { sequences, labels };
}
