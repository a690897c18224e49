/**
 * `@mediary/core`: messages, contexts, mediators, sequences, expressions, endpoints, the engine and its bus.
 *
 * @example
 * import { createEngine, call, choice, respond, setVar } from '@mediary/core';
 *
 * @module
 */
export { createBus, type EngineBus, type EngineEvents } from './bus.js';
export { type Clock, sleep, systemClock, type TimerHandle } from './clock.js';
export { type BodyKind, bodyKind, mediaType } from './content-type.js';
export { createVars, type MessageContext, type TransportInfo, type Vars } from './context.js';
export * from './eip/index.js';
export {
  type Endpoint,
  type EndpointReply,
  type EndpointWrapper,
  functionEndpoint,
  wrapEndpoint,
} from './endpoint.js';
export {
  createEngine,
  type DispatchOptions,
  definePlugin,
  Engine,
  type EngineOptions,
  type EngineState,
  type Exchange,
  type Plugin,
  type Route,
  type RouteDefinition,
  type Source,
} from './engine.js';
export {
  coreErrors,
  defineErrors,
  type ErrorFactory,
  type ErrorOptions,
  type ErrorSpec,
  isMediaryError,
  listErrorSpecs,
  MediaryError,
  toMediaryError,
} from './errors.js';
export {
  compileJsonata,
  DEFAULT_EXPRESSION_LIMITS,
  type Expr,
  type ExpressionLimits,
  evaluate,
  type JsonataExpr,
  jsonata,
  template,
} from './expression.js';
export { type HeaderInit, Headers } from './headers.js';
export { type JsonFieldOptions, jsonField, peekJsonField } from './json-peek.js';
export {
  type ConsoleLoggerOptions,
  createConsoleLogger,
  type Logger,
  type LogLevel,
  redact,
  silentLogger,
} from './logger.js';
export {
  defineMediator,
  type Mediator,
  type Outcome,
  type Step,
  type StepFunction,
  toMediator,
} from './mediator.js';
export {
  drop,
  type LogOptions,
  log,
  removeHeader,
  removeVar,
  respond,
  retrySequence,
  setBody,
  setHeader,
  setStatus,
  setVar,
  throwError,
  type ValueOrExpr,
} from './mediators/basic.js';
export { type CallOptions, call } from './mediators/call.js';
export { type EnrichOptions, type EnrichRef, enrich } from './mediators/enrich.js';
export { type PayloadFormat, type PayloadOptions, payload } from './mediators/payload.js';
export {
  type ChoiceCase,
  type ChoiceOptions,
  choice,
  type FilterOptions,
  filter,
} from './mediators/routing.js';
export { transform } from './mediators/transform.js';
export { type JsonSchemaRef, type ValidateOptions, validate } from './mediators/validate.js';
export {
  type BodySource,
  type BodyState,
  type BodyView,
  type CollectableBodySource,
  collectBody,
  createMessage,
  DEFAULT_MESSAGE_LIMITS,
  defineBodyView,
  Message,
  type MessageInit,
  type MessageLimits,
} from './message.js';
export { onAbort, onSignalAbort } from './on-abort.js';
export * from './resilience/index.js';
export type { EngineLimits, Runtime } from './runtime.js';
export * from './scheduler/index.js';
export { runSteps, type SequenceOptions, sequence } from './sequence.js';
export * from './store/index.js';
export { callTemplate, defineTemplate, type Template } from './template.js';
export * from './transport/index.js';
export { createWaitingRoom, WaitingRoom, type WaitOptions } from './waiting-room.js';
