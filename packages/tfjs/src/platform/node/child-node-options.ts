/**
 * NODE_OPTIONS for the measurement process: the training process's, less
 * the flags that belong to one process only. A debugger or profiler the
 * user attached to training is not attached to the measurement process
 * too: `--inspect-brk` there would hold it waiting for a debugger that
 * never comes, and `--inspect` would try to take training's port. What
 * else the user put there (`--require` preloads, memory limits, loaders)
 * applies to it as to any Node process they start.
 */
const ONE_PROCESS_ONLY = /^--(inspect|debug|cpu-prof|heap-prof|prof)(-[a-z-]+)?(=.*)?$/;
/** Those of them that take their value as the next word when not written with '='. */
const VALUE_NEXT = /^--(inspect-port|debug-port|cpu-prof-dir|cpu-prof-name|cpu-prof-interval|heap-prof-dir|heap-prof-name|heap-prof-interval)$/;

/** `nodeOptions` without the one-process flags; undefined when nothing is left. */
export function childNodeOptions(nodeOptions: string | undefined): string | undefined {
  if (!nodeOptions) return undefined;
  // Words as Node splits them: a quoted part, with backslash escapes inside double quotes, belongs to its word.
  const words = nodeOptions.match(/(?:[^\s"']+|"(?:[^"\\]|\\.)*"|'[^']*')+/g) ?? [];
  const kept: string[] = [];
  for (let i = 0; i < words.length; i++) {
    const word = words[i]!;
    if (!ONE_PROCESS_ONLY.test(word)) kept.push(word);
    else if (VALUE_NEXT.test(word)) i++; // and its value
  }
  return kept.length > 0 ? kept.join(' ') : undefined;
}

/**
 * The young generation's semi-space of the measurement process, in MB:
 * twice the 16 MB V8 grows it to by default on 64-bit Node.
 *
 * Why: a measurement makes thousands of short-lived objects (each tfjs
 * kernel allocates a few KB), and a fuller nursery is scavenged less often
 * for the same survivors. On a warm SimpleRNN n = 128, T = 100 measurement
 * (wasm, 8 probe sequences, CPU profile over 10 measurements) the
 * collector took 5.6 ms of it at 16 MB, 1.8 ms at 32, 1.6 at 64; the
 * measurement took 73–76 ms at 32 against 78–79 ms at 16 in the same hour
 * (two of three runs; the third read 100). Scavenges also run on helper
 * threads, which on 2 cores take their time from training. The cost: at
 * most 32 MB more memory in that process (two semi-spaces of 16 MB more).
 */
export const MEASURE_SEMI_SPACE_MB = 32;

/**
 * The V8 flags the measurement process starts with (fork's execArgv): the
 * semi-space above, unless `nodeOptions` (what it inherits, see
 * childNodeOptions) sets one already: a user's own choice there stands.
 */
export function measureProcessFlags(nodeOptions: string | undefined): string[] {
  const words = nodeOptions?.split(/\s+/) ?? [];
  // V8 takes its flags with '-' or '_' between words.
  return words.some((w) => /^--max[-_]semi[-_]space[-_]size(=|$)/.test(w)) ? [] : [`--max-semi-space-size=${MEASURE_SEMI_SPACE_MB}`];
}
