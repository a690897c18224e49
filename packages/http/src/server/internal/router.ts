/**
 * The server's router: every resource of every API and every proxy service in one find-my-way tree, plus
 * the answers find-my-way does not give — which methods a path does serve (for `405` and `Allow`), and
 * `HEAD` served by `GET` resources.
 *
 * @module
 */
import { METHODS } from 'node:http';
import FindMyWay from 'find-my-way';
import { httpErrors } from '../../errors.js';
import type { CompiledResource, HttpApi } from '../http-api.js';
import type { ProxyService } from '../proxy-service.js';

/** What a path and method lead to. */
export type RouteTarget =
  | { readonly kind: 'resource'; readonly api: HttpApi; readonly resource: CompiledResource }
  | { readonly kind: 'proxy'; readonly proxy: ProxyService };

/** A request's method and path matched to a target. */
export interface RouteMatch {
  readonly target: RouteTarget;
  /** Decoded path variables (the `{+var}` or a proxy's sub-path under `*`). */
  readonly params: Readonly<Record<string, string | undefined>>;
}

/** The methods a path serves, and one of its targets (for its CORS rules); no target: no such path. */
export interface PathMethods {
  readonly allow: readonly string[];
  readonly target: RouteTarget | undefined;
}

export interface HttpRouter {
  /** The target of a method and path; `HEAD` falls back to `GET`. */
  match(method: string, path: string): RouteMatch | undefined;
  /** Which methods the path serves (only asked on a miss or a preflight, so it may be slow). */
  methods(path: string): PathMethods;
}

const noop = () => undefined;

/** Builds the router of one server; conflicting routes fail here, at startup. */
export function createRouter(apis: readonly HttpApi[], proxies: readonly ProxyService[]): HttpRouter {
  const router = FindMyWay({ ignoreTrailingSlash: true, maxParamLength: 1000 });
  // Node's parser only lets these through, so no other method can reach the router.
  const supported = new Set<string>(METHODS);
  const used = new Set<string>();
  const add = (methods: readonly string[] | '*', path: string, target: RouteTarget, label: string) => {
    try {
      if (methods === '*') {
        router.all(path, noop, target);
        for (const m of supported) used.add(m);
        return;
      }
      for (const method of methods) {
        if (!supported.has(method)) throw new Error(`${method} is not a method this server can route`);
        used.add(method);
      }
      router.on(methods as FindMyWay.HTTPMethod[], path, noop, target);
    } catch (error) {
      throw httpErrors.INVALID_CONFIG({ reason: `${label}: ${(error as Error).message}` }, { cause: error });
    }
  };
  for (const api of apis) {
    for (const resource of api.resources) {
      add(
        resource.methods,
        resource.template.routePath,
        { kind: 'resource', api, resource },
        resource.routeId,
      );
    }
  }
  for (const proxy of proxies) {
    const target: RouteTarget = { kind: 'proxy', proxy };
    add('*', proxy.path, target, proxy.routeId);
    add('*', `${proxy.path}/*`, target, proxy.routeId);
  }

  const find = (method: string, path: string) =>
    supported.has(method) ? router.find(method as FindMyWay.HTTPMethod, path) : null;

  return {
    match(method, path) {
      const found = find(method, path) ?? (method === 'HEAD' ? find('GET', path) : null);
      return found ? { target: found.store as RouteTarget, params: found.params } : undefined;
    },
    methods(path) {
      const allow: string[] = [];
      let target: RouteTarget | undefined;
      for (const method of used) {
        const found = find(method, path);
        if (!found) continue;
        allow.push(method);
        target ??= found.store as RouteTarget;
      }
      if (allow.includes('GET') && !allow.includes('HEAD')) allow.push('HEAD');
      return { allow: allow.sort(), target };
    },
  };
}
