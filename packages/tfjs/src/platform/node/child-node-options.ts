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
