// @gradscope/tfjs — watch recurrent networks train in TensorFlow.js.
export { gradscope, GradscopeMonitor } from './monitor/monitor.js';
export { serveForever } from './serve-forever.js';
export type { GradscopeOptions } from './monitor/options.js';
export { withClipping, ClippingOptimizer, type ClippingOptions, type ClipReport, type ClipMode } from './with-clipping.js';
export { measureModel, type MeasureOptions } from './measure-model.js';
export { MeasureCache } from './measure-cache.js';
export { cellJacobians, densify, type CellJacobians, type CellJacobiansOptions, type JacobianMethod } from './cell-jacobians.js';
export { autodiffCellJacobians } from './autodiff-jacobian.js';
export { findRecurrentLayers, selectRecurrentLayers, type CellKind, type LayerTarget, type CellTarget } from './recurrent-layers.js';
export { checkProbe, type Probe } from './probe.js';
export { useBestBackend, type BackendChoice } from './backend.js';
export { describeLayer } from './monitor/console-sink.js';
export type { EventSink } from './monitor/sinks.js';
export { VERSION } from './version.js';
