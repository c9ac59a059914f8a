import type { ModelSummary } from '@gradscope/protocol';
import { cellStateSizes } from '../recurrent-loop.js';
import type { LayerTarget } from '../recurrent-layers.js';

/** T when the layer's input shape fixes it ([batch, T, features]); else the probe's second dimension; else null. */
function sequenceLength(layer: any, probeSteps: number | null): number | null {
  const shapes = layer.inboundNodes?.[0]?.inputShapes;
  const shape = Array.isArray(shapes?.[0]) ? shapes[0] : shapes;
  const t = Array.isArray(shape) ? shape[1] : undefined;
  return typeof t === 'number' ? t : probeSteps;
}

export function modelSummary(model: any, targets: LayerTarget[], probeSteps: number | null): ModelSummary {
  let totalParams = 0;
  try {
    totalParams = model.countParams();
  } catch {
    totalParams = 0; // an unbuilt model has no parameters yet
  }
  return {
    totalParams,
    layers: targets.flatMap((target) =>
      target.cells.map((cell) => ({
        name: cell.name,
        kind: cell.kind,
        units: Number(cell.cell.units ?? cellStateSizes(cell.cell)[0]),
        stateSize: cellStateSizes(cell.cell).reduce((a, b) => a + b, 0),
        sequenceLength: sequenceLength(target.layer, probeSteps),
      })),
    ),
  };
}
