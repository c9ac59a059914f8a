/**
 * Finding the recurrent layers of a tfjs model, and what kind of cell each
 * one runs. A "target" is one RNN layer whose `call` gradscope re-runs; a
 * Bidirectional layer contributes two (its forward and backward layers), a
 * layer over StackedRNNCells one target with several cells.
 */
export type CellKind = 'simpleRNN' | 'lstm' | 'gru' | 'custom';

export interface CellTarget {
  /** Name used in every record: 'lstm_1', 'bidi/forward', 'rnn_1/cell_0'. */
  name: string;
  cell: any;
  kind: CellKind;
}

export interface LayerTarget {
  name: string;
  /** The tfjs RNN layer (SimpleRNN, LSTM, GRU or RNN) whose call is re-run. */
  layer: any;
  cells: CellTarget[];
}

const CELL_KINDS: Record<string, CellKind> = {
  SimpleRNNCell: 'simpleRNN',
  LSTMCell: 'lstm',
  GRUCell: 'gru',
};

export function cellKind(cell: any): CellKind {
  const name = typeof cell?.getClassName === 'function' ? cell.getClassName() : '';
  return CELL_KINDS[name] ?? 'custom';
}

function isRecurrentLayer(layer: any): boolean {
  return layer != null && layer.cell != null && typeof layer.cell.call === 'function' && 'returnSequences' in layer;
}

/** The measurement target(s) of one tfjs layer, or [] if it is not recurrent. */
export function targetsOfLayer(layer: any, name: string = layer?.name): LayerTarget[] {
  if (layer?.getClassName?.() === 'Bidirectional') {
    return [
      ...targetsOfLayer(layer.forwardLayer, `${name}/forward`),
      ...targetsOfLayer(layer.backwardLayer, `${name}/backward`),
    ];
  }
  if (!isRecurrentLayer(layer)) return [];
  const stacked: any[] | undefined = layer.cell.getClassName?.() === 'StackedRNNCells' ? layer.cell.cells : undefined;
  const cells = stacked
    ? stacked.map((cell, i) => ({ name: `${name}/cell_${i}`, cell, kind: cellKind(cell) }))
    : [{ name, cell: layer.cell, kind: cellKind(layer.cell) }];
  return [{ name, layer, cells }];
}

/** Every recurrent layer of a model, nested models included, in layer order. */
export function findRecurrentLayers(model: any): LayerTarget[] {
  const layers: any[] = model?.layers ?? [];
  const found: LayerTarget[] = [];
  for (const layer of layers) {
    if (Array.isArray(layer?.layers) && !isRecurrentLayer(layer)) found.push(...findRecurrentLayers(layer));
    else found.push(...targetsOfLayer(layer));
  }
  return found;
}

/**
 * The targets named in `names` (layer names, or 'bidi/forward' style names
 * of Bidirectional halves). An unknown name is an error that lists the
 * recurrent layers the model has.
 */
export function selectRecurrentLayers(model: any, names?: string[]): LayerTarget[] {
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
