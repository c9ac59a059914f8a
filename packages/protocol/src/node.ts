/**
 * `@gradscope/protocol/node`: the parts that need Node's file system. Kept out
 * of the main entry so the dashboard's bundle never imports `node:fs`.
 */
export { iterateRunEvents, readRunEvents, repairRunLog, runDir, runEventsPath } from './node-reader.js';
export type { RepairAction, RepairResult } from './node-reader.js';
export { makeFolder } from './make-folder.js';
export { RunLogWriter } from './node-writer.js';
export type { RunLogWriterOptions } from './node-writer.js';
export { liveWriter, releaseWriterLock, takeWriterLock, WRITER_LOCK_FILE, writerLockPath } from './writer-lock.js';
