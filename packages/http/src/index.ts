/**
 * `@mediary/http`: HTTP APIs with URI templates, proxy services and the server that serves them (inbound),
 * and HTTP endpoints (outbound) — with pass-through streaming both ways.
 *
 * @example
 * import { httpApi, httpServer } from '@mediary/http';
 *
 * @module
 */

export * from './client/index.js';
export { httpErrors } from './errors.js';
export type { CorsOptions } from './server/cors.js';
export { type HttpApi, type HttpApiOptions, type HttpResource, httpApi } from './server/http-api.js';
export {
  type HttpServer,
  type HttpServerLimits,
  type HttpServerOptions,
  httpServer,
  type InjectRequest,
  type InjectResponse,
} from './server/http-server.js';
export { type ProxyService, type ProxyServiceOptions, proxyService } from './server/proxy-service.js';
