import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/**
 * Runs `script` as an ES module in a child Node process whose working
 * folder is this package (so `./dist/node.js` is the built package), after
 * `prefix` (e.g. ['taskset', '-c', '0']). Resolves to its output; rejects
 * when it exits with an error.
 */
export function runModuleScript(script: string, prefix: string[] = []): Promise<{ stdout: string; stderr: string }> {
  const cwd = fileURLToPath(new URL('../..', import.meta.url));
  const [command, ...args] = [...prefix, process.execPath, '--input-type=module', '-e', script];
  return new Promise((resolve, reject) =>
    execFile(command!, args, { cwd }, (err, stdout, stderr) => (err ? reject(err) : resolve({ stdout, stderr }))),
  );
}
