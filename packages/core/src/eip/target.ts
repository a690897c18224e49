/**
 * Where a pattern sends a message.
 *
 * @module
 */
import type { Endpoint } from '../endpoint.js';
import type { Mediator, Step } from '../mediator.js';

/**
 * Steps, a mediator (such as a named `sequence('audit')`), an endpoint, or an endpoint's name (looked up on
 * the engine per message, so tests can mock it).
 */
export type Target = readonly Step[] | Mediator | Endpoint | string;
