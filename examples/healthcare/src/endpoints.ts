/**
 * The hospital backend's endpoints, registered on the engine by name. Routes call them by these names, so a
 * test can replace any of them with a mock (`h.mock('hospital-reserve')`).
 *
 * @module
 */
import { type Endpoint, type EndpointWrapper, wrapEndpoint } from '@mediary/core';
import { httpEndpoint } from '@mediary/http';
import { drainedReplies } from './drained-replies.js';
import { jsonReplies } from './json-replies.js';

/** Endpoint names. */
export const endpoints = Object.freeze({
  /** T1: `GET /healthcare/{category}`. */
  doctors: 'hospital-doctors',
  /** T2, T3: `POST /{hospitalId}/categories/{category}/reserve`; backend errors come back as replies. */
  reserve: 'hospital-reserve',
  /** T4, step 1: the same reservation, but a backend error status fails the step. */
  appointment: 'appointment-reserve',
  /** T4, step 2: `GET /{hospitalId}/categories/appointments/{appointmentNumber}/fee`. */
  fee: 'appointment-fee',
  /** T4, step 3: `POST /healthcare/payments`. */
  payment: 'appointment-payment',
  /** T6: the fee at one hospital; a `404` comes back as a reply, not as an error. */
  hospitalFee: 'hospital-fee',
  /**
   * T5: a stored reservation delivered later, to the reserve path. A backend error status comes back as a
   * reply, so the forwarding processor can tell a `4xx` (dead-lettered at once) from anything to retry.
   */
  forwardReserve: 'forward-reserve',
});

export interface HospitalEndpointOptions {
  /** Base URL of the hospital backend, without a trailing slash. */
  readonly hospitalUrl: string;
  /** Total deadline of every call, reply body included. */
  readonly timeoutMs: number;
}

/**
 * Creates every hospital endpoint. `{name}` in a URL is filled from the variable `name`, else from the path
 * parameter `name` of the inbound request.
 *
 * @example
 * for (const endpoint of hospitalEndpoints({ hospitalUrl: 'http://127.0.0.1:9090', timeoutMs: 10_000 }))
 *   engine.addEndpoint(endpoint);
 */
export function hospitalEndpoints(options: HospitalEndpointOptions): Endpoint[] {
  const base = options.hospitalUrl.replace(/\/+$/, '');
  const hospital = (spec: {
    name: string;
    method: 'GET' | 'POST';
    path: string;
    failOnStatus?: boolean;
    replies?: EndpointWrapper;
  }) =>
    wrapEndpoint(
      httpEndpoint({
        name: spec.name,
        method: spec.method,
        url: `${base}${spec.path}`,
        timeoutMs: options.timeoutMs,
        failOnStatus: spec.failOnStatus ?? false,
        // The routes read these replies, so ask for them uncompressed whatever the client accepts.
        headers: { 'accept-encoding': 'identity' },
      }),
      spec.replies ?? jsonReplies(),
    );
  const reservePath = '/{hospitalId}/categories/{category}/reserve';
  const feePath = '/{hospitalId}/categories/appointments/{appointmentNumber}/fee';
  return [
    hospital({ name: endpoints.doctors, method: 'GET', path: '/healthcare/{category}' }),
    hospital({ name: endpoints.reserve, method: 'POST', path: reservePath }),
    hospital({ name: endpoints.hospitalFee, method: 'GET', path: feePath }),
    hospital({
      name: endpoints.forwardReserve,
      method: 'POST',
      path: reservePath,
      replies: drainedReplies(),
    }),
    hospital({ name: endpoints.appointment, method: 'POST', path: reservePath, failOnStatus: true }),
    hospital({ name: endpoints.fee, method: 'GET', path: feePath, failOnStatus: true }),
    hospital({ name: endpoints.payment, method: 'POST', path: '/healthcare/payments', failOnStatus: true }),
  ];
}
