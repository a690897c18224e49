/**
 * HTTP APIs: a context path and resources, each a method (or several), a URI template and the steps a
 * request runs through. Declaring an API only checks it; an {@link httpServer} registers its resources as
 * engine routes when the server is added to an engine.
 *
 * @module
 */
import type { Step } from '@mediary/core';
import { httpErrors } from '../errors.js';
import { type CorsOptions, checkCors } from './cors.js';
import { type CompiledTemplate, compileTemplate, joinPath } from './internal/uri-template.js';

/** One resource of an API. */
export interface HttpResource {
  /** `'GET'`, `['GET', 'POST']`, or `'*'` for any method. */
  readonly method: string | readonly string[];
  /**
   * A URI template below the API context: `/categories/{category}/reserve` (one segment), `/files/{+path}`
   * (the rest of the path), `/search{?q,page}` (query variables, also exposed as params).
   */
  readonly path: string;
  /** The engine route id. Default `${api.name}:${METHOD}:${context}${path}`. */
  readonly id?: string;
  readonly steps: readonly Step[];
  /** Runs when a step fails, before the API's `onError`. */
  readonly onError?: Step | readonly Step[];
  /**
   * Content types a request body may have (`application/json`, `text/*`, `application/*+xml`); a body of
   * another type is refused with `415` before any step runs. Default: any.
   */
  readonly accepts?: readonly string[];
}

/** What {@link httpApi} takes. */
export interface HttpApiOptions {
  /** Names the API in route ids and logs. */
  readonly name: string;
  /** The path every resource lives under, e.g. `/healthcare`. */
  readonly context: string;
  readonly resources: readonly HttpResource[];
  readonly cors?: CorsOptions;
  /** Runs when a resource fails and its own `onError` did not handle it. */
  readonly onError?: Step | readonly Step[];
}

/** A resource with its template compiled and its methods resolved. */
export interface CompiledResource {
  readonly resource: HttpResource;
  readonly routeId: string;
  /** Upper-case methods, or `'*'`. */
  readonly methods: readonly string[] | '*';
  readonly template: CompiledTemplate;
  readonly accepts: readonly RegExp[] | undefined;
}

/** A declared API, ready to be served by an {@link httpServer}. */
export interface HttpApi {
  readonly kind: 'api';
  readonly name: string;
  readonly context: string;
  readonly cors: CorsOptions | undefined;
  readonly onError: Step | readonly Step[] | undefined;
  readonly resources: readonly CompiledResource[];
}

const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;

/**
 * Declares an HTTP API. Templates, methods and CORS options are checked here, so a typo fails at startup,
 * not on the first request.
 *
 * @example
 * const healthcare = httpApi({
 *   name: 'healthcare',
 *   context: '/healthcare',
 *   resources: [
 *     { method: 'GET', path: '/querydoctor/{category}', steps: [call('hospital'), respond()] },
 *     { method: 'POST', path: '/categories/{category}/reserve', accepts: ['application/json'], steps: [...] },
 *   ],
 * });
 * engine.use(httpServer({ port: 8290, apis: [healthcare] }));
 */
export function httpApi(options: HttpApiOptions): HttpApi {
  const invalid = (reason: string) => httpErrors.INVALID_CONFIG({ reason: `API ${options.name}: ${reason}` });
  if (!options.name) throw httpErrors.INVALID_CONFIG({ reason: 'an API needs a name' });
  if (typeof options.context !== 'string' || !options.context.startsWith('/')) {
    throw invalid('context must start with /');
  }
  if (options.cors) checkCors(options.cors, options.name);
  const resources = options.resources.map((resource): CompiledResource => {
    const methods = resolveMethods(resource.method, invalid);
    const template = compileTemplate(joinPath(options.context, resource.path));
    const label = methods === '*' ? '*' : methods.join(',');
    return Object.freeze({
      resource,
      routeId: resource.id ?? `${options.name}:${label}:${template.template}`,
      methods,
      template,
      accepts: resource.accepts?.map((pattern) => mediaPattern(pattern, invalid)),
    });
  });
  return Object.freeze({
    kind: 'api',
    name: options.name,
    context: options.context,
    cors: options.cors,
    onError: options.onError,
    resources: Object.freeze(resources),
  });
}

function resolveMethods(
  method: string | readonly string[],
  invalid: (reason: string) => Error,
): readonly string[] | '*' {
  const list = typeof method === 'string' ? [method] : [...method];
  if (list.includes('*')) return '*';
  if (list.length === 0) throw invalid('a resource needs at least one method');
  const upper = list.map((m) => {
    if (!TOKEN.test(m)) throw invalid(`${JSON.stringify(m)} is not an HTTP method`);
    return m.toUpperCase();
  });
  return Object.freeze([...new Set(upper)]);
}

/** `application/json`, `text/*`, `*\/*`, `application/*+xml` → a matcher for a media type without parameters. */
function mediaPattern(pattern: string, invalid: (reason: string) => Error): RegExp {
  const type = pattern.split(';')[0]!.trim().toLowerCase();
  if (!/^[\w.+*-]+\/[\w.+*-]+$/.test(type)) throw invalid(`${JSON.stringify(pattern)} is not a media type`);
  const source = type.replace(/[.+]/g, '\\$&').replaceAll('*', '[^/]*');
  return new RegExp(`^${source}$`);
}
