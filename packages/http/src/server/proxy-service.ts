/**
 * Proxy services (WSO2's proxies): one flow behind a path that takes any method and any sub-path — the
 * usual front for SOAP services and pass-through proxies. `GET <path>?wsdl` answers with the WSDL when one
 * is given.
 *
 * @module
 */
import type { Step } from '@mediary/core';
import { httpErrors } from '../errors.js';

/** What {@link proxyService} takes. */
export interface ProxyServiceOptions {
  /** Names the service; also its engine route id (`proxy:<name>`) and default path. */
  readonly name: string;
  /** Where it is served. Default `/services/<name>`; sub-paths (`/services/<name>/x/y`) reach it too. */
  readonly path?: string;
  readonly steps: readonly Step[];
  readonly onError?: Step | readonly Step[];
  /** The WSDL served on `GET <path>?wsdl` (a string, or a function called on each request). */
  readonly wsdl?: string | (() => string);
}

/** A declared proxy service, ready to be served by an {@link httpServer}. */
export interface ProxyService {
  readonly kind: 'proxy';
  readonly name: string;
  readonly path: string;
  readonly routeId: string;
  readonly steps: readonly Step[];
  readonly onError: Step | readonly Step[] | undefined;
  readonly wsdl: (() => string) | undefined;
}

/**
 * Declares a proxy service.
 *
 * @example
 * const soap = proxyService({
 *   name: 'HealthcareService',
 *   wsdl: () => readFileSync(new URL('./healthcare.wsdl', import.meta.url), 'utf8'),
 *   steps: [soapToJson(), call('hospital'), jsonToSoap(), respond()],
 * });
 * engine.use(httpServer({ port: 8290, proxies: [soap] }));
 */
export function proxyService(options: ProxyServiceOptions): ProxyService {
  if (!options.name || !/^[\w.-]+$/.test(options.name)) {
    throw httpErrors.INVALID_CONFIG({
      reason: `proxy service name ${JSON.stringify(options.name)} is invalid`,
    });
  }
  const path = (options.path ?? `/services/${options.name}`).replace(/\/+$/, '');
  if (!path.startsWith('/') || /[{}:*?#\s]/.test(path)) {
    throw httpErrors.INVALID_CONFIG({ reason: `proxy service ${options.name}: path ${path} is invalid` });
  }
  const { wsdl } = options;
  return Object.freeze({
    kind: 'proxy',
    name: options.name,
    path,
    routeId: `proxy:${options.name}`,
    steps: options.steps,
    onError: options.onError,
    wsdl: wsdl === undefined ? undefined : typeof wsdl === 'string' ? () => wsdl : wsdl,
  });
}
