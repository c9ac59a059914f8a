/**
 * @gradscope/protocol: the events a monitored run emits, their validation,
 * their wire encoding and the JSONL log format. Browser-safe, no dependencies.
 * Node file access (reader, writer) is in `@gradscope/protocol/node`.
 */

// The events and the measurement record.
export {
  CLIP_MODES,
  EVENT_TYPES,
  KNOWN_ALERT_KINDS,
  MEASURED_IN,
  PROTOCOL_VERSION,
  RUN_STATUSES,
  SEVERITIES,
  SUPPORTED_VERSIONS,
} from './events.js';
export type {
  AlertEvent,
  AlertKind,
  ClipEvent,
  ClipMode,
  EventBody,
  EventEnvelope,
  EventOf,
  EventType,
  GradscopeEvent,
  KnownAlertKind,
  MeasuredIn,
  MeasurementEvent,
  ModelSummary,
  RecurrentLayerSummary,
  RunEndEvent,
  RunStartEvent,
  RunStatus,
  RunTotals,
  Severity,
  TrainStepEvent,
} from './events.js';
export { CELL_KINDS, DIAGNOSIS_INDICATORS, gradientRatio, JACOBIAN_METHODS, REGIMES } from './measurement.js';
export type {
  CellKind,
  Diagnosis,
  DiagnosisIndicator,
  GradientHorizon,
  GruGates,
  JacobianMethod,
  LayerMeasurement,
  LstmGates,
  Regime,
  Remedy,
  ScalarSummary,
  Summary,
} from './measurement.js';
export type { JsonObject, JsonPrimitive, JsonValue } from './json.js';

// Validation, encoding, log lines.
export { ProtocolError } from './errors.js';
export { checkEvent, validateEvent } from './validate.js';
export type { CheckResult } from './validate.js';
export { decodeEvent, encodeEvent } from './encode.js';
export { NON_FINITE_MARKERS } from './non-finite.js';
export { EVENTS_FILE, EventLineDecoder, parseEventLines } from './jsonl.js';
export type { DecodedLine, LineError, ParsedEvents } from './jsonl.js';

// Producing events.
export { EventSequencer } from './sequencer.js';
export type { SequencerOptions } from './sequencer.js';
export { assertValidRunId, isValidRunId, makeRunId, MAX_RUN_ID_LENGTH, runIdProblem, slugify } from './run-id.js';
export { formatEvent, formatNumber, formatRunCost } from './format.js';

// The options-checking idiom of every gradscope package.
export { checkOptions, rejectUnknownOptions, showValue, type OptionCheck } from './options.js';

// Fixtures: one realistic event of each type (the examples of PROTOCOL.md).
export { EXAMPLE_RUN_ID, exampleEvent, exampleEvents, exampleGruGates, exampleNonFiniteAlert } from './examples.js';

// The live server's websocket messages and REST summaries.
export {
  CLOSE_CODES,
  parsePublisherMessage,
  parseSubscriberMessage,
  PUBLISH_PATH,
  RUN_SUMMARY_STATUSES,
  SUBSCRIBE_PATH,
} from './server-messages.js';
export type {
  AckMessage,
  ErrorMessage,
  HelloMessage,
  LiveEventsMessage,
  PublishEventsMessage,
  PublisherMessage,
  ReplayMessage,
  RunsMessage,
  RunsChangedMessage,
  RunSummary,
  RunSummaryStatus,
  ServerErrorCode,
  ServerMessage,
  SubscribeMessage,
  SubscriberMessage,
  UnsubscribeMessage,
  WelcomeMessage,
} from './server-messages.js';
