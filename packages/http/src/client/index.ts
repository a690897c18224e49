/**
 * The outbound side of `@mediary/http`: HTTP endpoints.
 *
 * @module
 */
export { httpClientErrors } from './errors.js';
export {
  type HttpAuth,
  type HttpEndpoint,
  type HttpEndpointOptions,
  type HttpPoolOptions,
  type HttpTlsOptions,
  httpEndpoint,
} from './http-endpoint.js';
