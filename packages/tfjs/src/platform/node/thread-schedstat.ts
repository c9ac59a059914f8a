import { closeSync, openSync, readFileSync, readSync } from 'node:fs';
import { SILENT_CLOCK, type RunQueueClock } from '../platform-interface.js';

const FILE = '/proc/thread-self/schedstat';

/**
 * The calling thread's record in the Linux kernel's scheduler statistics
 * (/proc/thread-self/schedstat, proc(5): ns on a CPU, ns runnable but
 * waiting on the run queue, timeslices); null elsewhere (macOS, Windows)
 * or where the kernel keeps no such record. Nanoseconds, where
 * /proc/thread-self/stat counts CPU time in 10 ms ticks: a measurement of a
 * small model takes less than one. One read opens the file: 10–15 µs on an
 * idle machine (see openRunQueueClock for reads at every step).
 */
function schedstat(): [onCpuNs: number, waitNs: number] | null {
  if (process.platform !== 'linux') return null;
  try {
    return parse(readFileSync(FILE, 'latin1'));
  } catch {
    return null;
  }
}

function parse(text: string): [onCpuNs: number, waitNs: number] | null {
  const [onCpu, wait] = text.split(' ').map(Number);
  // A kernel that keeps no record here writes "0 0 0" (sched_info off): a thread reading the file has run, so 0 is no figure.
  return Number.isFinite(onCpu) && Number.isFinite(wait) && onCpu! > 0 ? [onCpu!, wait!] : null;
}

/** The calling thread's CPU time so far (ms); null where the kernel does not tell. */
export function threadCpuMs(): number | null {
  const record = schedstat();
  return record ? record[0] / 1e6 : null;
}

/**
 * A clock of the calling thread's time runnable but waiting for a CPU so
 * far (ms); its readings are null where the kernel does not tell.
 *
 * Why the monitor reads it: a worker measuring beside training costs the
 * training thread no CPU time of its own, but on a machine with few cores
 * work on the other core makes training wait for one. That wait is the
 * worker's cost to training, and the budget holds it, on an account of
 * its own (monitor/run-queue-charge.ts).
 *
 * Why a clock: the monitor reads it twice a training step, so the file is
 * kept open and read again from its start (the kernel writes the record
 * afresh for every read at offset 0): one system call a reading, where
 * readFileSync makes four (open, stat, read, close). Inside monitored runs
 * on 2 busy cores (SimpleRNN n = 64, T = 50, 400 steps) the readings took
 * 67 ms a run with readFileSync, 36 ms with the file kept open.
 *
 * Open it on the thread it is to report on (/proc/thread-self names the
 * thread that opens it), and close it when done: a descriptor belongs to
 * the process, not the thread, and would outlive a worker thread that
 * trained and ended.
 */
export function openRunQueueClock(): RunQueueClock {
  if (process.platform !== 'linux') return SILENT_CLOCK;
  let fd: number | null;
  try {
    fd = openSync(FILE, 'r');
  } catch {
    return SILENT_CLOCK;
  }
  const buffer = Buffer.alloc(128); // "<ns on cpu> <ns waiting> <slices>\n": three 64-bit decimals at most
  return {
    waitMs() {
      if (fd === null) return null;
      try {
        const record = parse(buffer.toString('latin1', 0, readSync(fd, buffer, 0, buffer.length, 0)));
        return record ? record[1] / 1e6 : null;
      } catch {
        return null;
      }
    },
    close() {
      if (fd === null) return;
      try {
        closeSync(fd);
      } catch {
        // already closed
      }
      fd = null;
    },
  };
}
