/** The WebAssembly text `text` (named `name` in errors) as module bytes, by wabt with the features the kernels use. */
import wabtModule from 'wabt';

export async function compileWat(name, text) {
  const wabt = await wabtModule();
  const parsed = wabt.parseWat(name, text, { simd: true, bulk_memory: true });
  try {
    parsed.validate();
    return new Uint8Array(parsed.toBinary({ log: false, write_debug_names: false }).buffer);
  } finally {
    parsed.destroy();
  }
}
