import type * as tf from '@tensorflow/tfjs';
import { bidirectionalHalves, stackedCells, type RNNCell, type RNNLayer } from './tfjs-internals.js';

/**
 * Finding the recurrent layers of a tfjs model, and what kind of cell each
 * one runs. A "target" is one RNN layer whose `call` gradscope re-runs; a
 * Bidirectional layer contributes two (its forward and backward layers), a
 * layer over StackedRNNCells one target with several cells.
 */
import type { CellKind } from '@gradscope/protocol';

export type { CellKind };

export interface CellTarget {
  /** Name used in every record: 'lstm_1', 'bidi/forward', 'rnn_1/cell_0'. */
  name: string;
  /** The tfjs cell; built-in cells (and most custom ones) have `units`. */
  cell: RNNCell & { units?: number };
  kind: CellKind;
}

export interface LayerTarget {
  name: string;
  /** The tfjs RNN layer (SimpleRNN, LSTM, GRU or RNN) whose call is re-run. */
  layer: RNNLayer;
  cells: CellTarget[];
}

const CELL_KINDS: Record<string, CellKind> = {
  SimpleRNNCell: 'simpleRNN',
  LSTMCell: 'lstm',
  GRUCell: 'gru',
};

export function cellKind(cell: { getClassName?: () => string } | null | undefined): CellKind {
  const name = typeof cell?.getClassName === 'function' ? cell.getClassName() : '';
  return CELL_KINDS[name] ?? 'custom';
}

/** An RNN layer (SimpleRNN, LSTM, GRU, RNN), told by what the re-run uses rather than by class. */
function isRecurrentLayer(layer: unknown): layer is RNNLayer {
  const candidate = layer as { cell?: { call?: unknown } } | null | undefined;
  return candidate != null && candidate.cell != null && typeof candidate.cell.call === 'function' && 'returnSequences' in candidate;
}

/** The measurement target(s) of one tfjs layer, or [] if it is not recurrent. */
export function targetsOfLayer(layer: tf.layers.Layer, name: string = layer?.name): LayerTarget[] {
  const halves = typeof layer?.getClassName === 'function' ? bidirectionalHalves(layer) : null;
  if (halves) {
    return [
      ...targetsOfLayer(halves.forward, `${name}/forward`),
      ...targetsOfLayer(halves.backward, `${name}/backward`),
    ];
  }
  if (!isRecurrentLayer(layer)) return [];
  const stacked = typeof layer.cell.getClassName === 'function' ? stackedCells(layer.cell) : null;
  const cells = stacked
    ? stacked.map((cell, i) => ({ name: `${name}/cell_${i}`, cell, kind: cellKind(cell) }))
    : [{ name, cell: layer.cell, kind: cellKind(layer.cell) }];
  return [{ name, layer, cells }];
}

/** Every recurrent layer of a model, nested models included, in layer order. */
export function findRecurrentLayers(model: { layers?: tf.layers.Layer[] }): LayerTarget[] {
  const layers = model?.layers ?? [];
  const found: LayerTarget[] = [];
  for (const layer of layers) {
    const nested = layer as { layers?: tf.layers.Layer[] };
    if (Array.isArray(nested?.layers) && !isRecurrentLayer(layer)) found.push(...findRecurrentLayers(nested));
    else found.push(...targetsOfLayer(layer));
  }
  return found;
}

/**
 * The targets named in `names` (layer names, or 'bidi/forward' style names
 * of Bidirectional halves). An unknown name is an error that lists the
 * recurrent layers the model has.
 */
export function selectRecurrentLayers(model: { layers?: tf.layers.Layer[] }, names?: string[]): LayerTarget[] {
  const all = findRecurrentLayers(model);
  if (!names) return all;
  return names.flatMap((wanted) => {
    const hits = all.filter((t) => t.name === wanted || t.name.startsWith(`${wanted}/`));
    if (hits.length === 0) {
      const have = all.map((t) => t.name).join(', ') || 'none';
      throw new Error(`gradscope: layer '${wanted}' is not a recurrent layer of this model (recurrent layers: ${have})`);
    }
    return hits;
  });
}
