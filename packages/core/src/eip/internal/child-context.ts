/**
 * Contexts for branches (split items, clone targets, aggregated messages): their own message and a shallow
 * copy of the variables, sharing everything else (engine, signal, log, transport) with the parent.
 *
 * @module
 */
import { createVars, type MessageContext, type Vars } from '../../context.js';
import type { Message } from '../../message.js';

/** A branch context: `message` is the branch's own, variables are copied so branches never see each other's. */
export function childContext(parent: MessageContext, message: Message, extraVars?: Vars): MessageContext {
  const vars = createVars(parent.vars);
  if (extraVars) for (const key of Object.keys(extraVars)) vars[key] = extraVars[key];
  return {
    message,
    original: parent.original,
    vars,
    transport: parent.transport,
    correlationId: parent.correlationId,
    routeId: parent.routeId,
    signal: parent.signal,
    log: parent.log,
    error: undefined,
    engine: parent.engine,
  };
}
