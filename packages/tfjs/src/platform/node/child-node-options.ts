import { getHeapStatistics } from 'node:v8';

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

/** Words as Node splits NODE_OPTIONS: a quoted part, with backslash escapes inside double quotes, belongs to its word. */
function optionWords(nodeOptions: string): string[] {
  return nodeOptions.match(/(?:[^\s"']+|"(?:[^"\\]|\\.)*"|'[^']*')+/g) ?? [];
}

/** `nodeOptions` without the one-process flags; undefined when nothing is left. */
export function childNodeOptions(nodeOptions: string | undefined): string | undefined {
  if (!nodeOptions) return undefined;
  const words = optionWords(nodeOptions);
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
 * twice the 16 MB V8 grows it to by default on 64-bit Node whose heap
 * limit is 2 GB or more (V8 scales its default down with the heap limit:
 * 8 MB at 1 GB, 4 at 512 MB).
 *
 * Why: a measurement makes thousands of short-lived objects (each tfjs
 * kernel allocates a few KB), and a fuller nursery is scavenged less often
 * for the same survivors. On a warm SimpleRNN n = 128, T = 100 measurement
 * of a fresh model (wasm, 8 probe sequences, CPU profiles over 10
 * measurements) the collector took 5.3–5.8 ms of it at 16 MB and 1.4–1.8
 * at 32; three processes of each, twelve measurements apiece: 78–79 ms
 * (and one process 100) at 16 against 73–76 at 32. Scavenges also run on
 * helper threads, which on 2 cores take their time from training. The
 * cost: V8 reserves 48 MB more (three spaces of 16) and commits at most
 * 32 MB more (two semi-spaces).
 */
export const MEASURE_SEMI_SPACE_MB = 32;

/** Below this heap limit (bytes) V8's own default is smaller still, and the process keeps it: memory is short there. */
export const MIN_HEAP_LIMIT_FOR_SEMI_SPACE = 2 ** 31;

/**
 * The V8 flags the measurement process starts with (fork's execArgv, which
 * takes precedence over NODE_OPTIONS): the semi-space above, unless
 * `nodeOptions` (what the process inherits, see childNodeOptions) sets one
 * already — a user's own choice there stands — or the heap limit (this
 * process's, as the child's comes from the same memory) is below
 * MIN_HEAP_LIMIT_FOR_SEMI_SPACE.
 */
export function measureProcessFlags(nodeOptions: string | undefined, heapLimit = getHeapStatistics().heap_size_limit): string[] {
  if (heapLimit < MIN_HEAP_LIMIT_FOR_SEMI_SPACE) return [];
  // Node drops a word's quotes; V8 takes '-' or '_' between a flag's words.
  const words = optionWords(nodeOptions ?? '').map((w) => w.replace(/["']/g, ''));
  return words.some((w) => /^--max[-_]semi[-_]space[-_]size(=|$)/.test(w)) ? [] : [`--max-semi-space-size=${MEASURE_SEMI_SPACE_MB}`];
}

/**
 * How the measurement process is started from the training process's
 * environment: NODE_OPTIONS less the one-process flags (absent when none
 * is left), and the V8 flags of measureProcessFlags. The training
 * process's own command-line flags are not passed on.
 */
export function measureProcessLaunch(parentEnv: NodeJS.ProcessEnv, heapLimit?: number): { env: NodeJS.ProcessEnv; execArgv: string[] } {
  const env = { ...parentEnv };
  const nodeOptions = childNodeOptions(env['NODE_OPTIONS']);
  if (nodeOptions === undefined) delete env['NODE_OPTIONS'];
  else env['NODE_OPTIONS'] = nodeOptions;
  return { env, execArgv: measureProcessFlags(nodeOptions, heapLimit) };
}
