/** Milliseconds for timing the monitor against training: performance.now() where there is one (monotonic, sub-ms), else Date.now(). */
export const now = (): number => (typeof performance !== 'undefined' ? performance.now() : Date.now());
