import * as tf from '@tensorflow/tfjs';

/**
 * The serialisable classes (layers, cells, initialisers, regularisers,
 * constraints) registered when gradscope was loaded: tfjs's own, which a
 * measurement worker's fresh tfjs registers too. Read once, at load, from
 * tfjs's registry (SerializationMap's classNameMap, not public API); null
 * where it is not found, and then nothing is judged from it.
 *
 * Why: a class the program registers after importing gradscope (a custom
 * layer or cell, the usual case) exists in this process only. A worker
 * rebuilding the model fails on it, but only once it has started, a second
 * or more into the run: a short run then went without measurements and
 * without a word, and a long one lost its first step's. Found here, before
 * any worker starts, the monitor measures on this thread from the start and
 * says why. A class registered before gradscope was loaded still counts as
 * tfjs's own: the worker's failure then says so, as before.
 */
const AT_LOAD = registeredClassNames();

function registeredClassNames(): Set<string> | null {
  const map = (tf.serialization.SerializationMap.getMap() as unknown as { classNameMap?: unknown }).classNameMap;
  return map && typeof map === 'object' ? new Set(Object.keys(map)) : null;
}

/** The class names in a model's topology (its toJSON) that were not registered when gradscope was loaded, sorted. */
export function classesOnlyHere(modelJson: string): string[] {
  if (!AT_LOAD) return [];
  const found = new Set<string>();
  const visit = (node: unknown): void => {
    if (Array.isArray(node)) node.forEach(visit);
    else if (node && typeof node === 'object') {
      for (const [key, value] of Object.entries(node)) {
        if (key === 'class_name' && typeof value === 'string' && !AT_LOAD.has(value)) found.add(value);
        else visit(value);
      }
    }
  };
  visit(JSON.parse(modelJson));
  return [...found].sort();
}
