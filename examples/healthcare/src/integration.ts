/**
 * The healthcare integration: WSO2 Micro Integrator's hospital tutorials (SCENARIOS.md section 2) as one
 * Mediary engine with one HTTP server.
 *
 * | route | pattern |
 * | --- | --- |
 * | `GET  /healthcare/querydoctor/{category}` | T1: a plain call, the backend's reply passed through |
 * | `POST /healthcare/categories/{category}/reserve` | T2: content-based routing on `hospital` |
 * | `POST /healthcare/v2/categories/{category}/reserve` | T3: message translation, flat → nested |
 * | `POST /healthcare/v3/categories/{category}/reserve` | T4: orchestration, reserve → fee → payment |
 * | `POST /healthcare/async/categories/{category}/reserve` | T5: store and forward, `202` at once |
 * | `GET  /healthcare/async/stats` | T5: what the stores hold, for operators and tests |
 * | `GET  /healthcare/fees/{appointmentNumber}` | T6: scatter-gather over the three hospitals |
 *
 * @module
 */
import {
  call,
  createEngine,
  type Engine,
  type Logger,
  respond,
  scatterGather,
  setVar,
  transform,
  validate,
} from '@mediary/core';
import { type HttpApi, type HttpServer, httpApi, httpServer } from '@mediary/http';
import { endpoints, hospitalEndpoints } from './endpoints.js';
import { collectFees } from './fees.js';
import { routeByHospitalName } from './hospital-routing.js';
import { HOSPITAL_IDS } from './hospitals.js';
import { type FlatReservation, flatReservationSchema, type Reservation, toNested } from './reservation.js';
import { reserveAndPay } from './reserve-and-pay.js';
import { healthcareSoapService } from './soap-front.js';
import {
  installReservationForwarding,
  type ReservationForwarding,
  reservationForwarding,
} from './store-and-forward.js';
import { memoryReservationStores, type ReservationStores } from './stores.js';

export interface HealthcareOptions {
  /** Base URL of the hospital backend, e.g. `http://127.0.0.1:9090`. */
  readonly hospitalUrl: string;
  /** Port to serve on. Default 8290; `0` picks a free one (see `server.url`). */
  readonly port?: number;
  /** Interface to bind. Default 127.0.0.1. */
  readonly host?: string;
  /** Total deadline of every backend call, in ms. Default 10000. */
  readonly backendTimeoutMs?: number;
  /** Largest request body accepted, in bytes. Default: the server's (10 MiB). */
  readonly maxBodyBytes?: number;
  /**
   * T5: where accepted reservations wait (see `openReservationStores`). Default: two in-memory stores on
   * the engine's clock. The engine closes them when it stops.
   */
  readonly reservationStores?: ReservationStores;
  /** T5: wait between delivery attempts at the same reservation, in ms. Default 1000. */
  readonly forwardIntervalMs?: number;
  /** T5: delivery attempts per reservation before it is dead-lettered. Default 5. */
  readonly forwardMaxAttempts?: number;
  readonly logger?: Logger;
}

export interface HealthcareIntegration {
  readonly engine: Engine;
  readonly server: HttpServer;
  /** T5: the stores and the forwarding processor. */
  readonly forwarding: ReservationForwarding;
}

const JSON_ONLY = ['application/json'];

/** The routes served, for the start-up banner and the README: method and path under the server's URL. */
export const HEALTHCARE_ROUTES = Object.freeze([
  { method: 'GET', path: '/healthcare/querydoctor/{category}' },
  { method: 'POST', path: '/healthcare/categories/{category}/reserve' },
  { method: 'POST', path: '/healthcare/v2/categories/{category}/reserve' },
  { method: 'POST', path: '/healthcare/v3/categories/{category}/reserve' },
  { method: 'POST', path: '/healthcare/async/categories/{category}/reserve' },
  { method: 'GET', path: '/healthcare/async/stats' },
  { method: 'GET', path: '/healthcare/fees/{appointmentNumber}' },
  { method: 'POST', path: '/services/HealthcareService' },
  { method: 'GET', path: '/services/HealthcareService?wsdl' },
  { method: 'GET', path: '/health/live' },
  { method: 'GET', path: '/health/ready' },
] as const);

/**
 * Creates the engine and its HTTP server; `await engine.start()` serves, `await engine.stop()` drains.
 *
 * @example
 * const { engine, server } = createHealthcareIntegration({ hospitalUrl: 'http://127.0.0.1:9090', port: 8290 });
 * await engine.start();
 * console.log(`serving on ${server.url}`);
 */
export function createHealthcareIntegration(options: HealthcareOptions): HealthcareIntegration {
  const engine = createEngine({ name: 'healthcare', ...(options.logger ? { logger: options.logger } : {}) });
  return { engine, ...install(engine, options) };
}

/**
 * Registers the hospital endpoints and the HTTP server on an existing engine — what a test harness does with
 * the engine it created.
 *
 * @example
 * let server!: HttpServer;
 * await using h = await createHarness((engine) => { server = addHealthcare(engine, { hospitalUrl, port: 0 }); });
 * h.mock('hospital-reserve').reply({ json: { appointmentNumber: 1 } });
 */
export function addHealthcare(engine: Engine, options: HealthcareOptions): HttpServer {
  return install(engine, options).server;
}

function install(engine: Engine, options: HealthcareOptions): Omit<HealthcareIntegration, 'engine'> {
  const timeoutMs = options.backendTimeoutMs ?? 10_000;
  for (const endpoint of hospitalEndpoints({ hospitalUrl: options.hospitalUrl, timeoutMs })) {
    engine.addEndpoint(endpoint);
  }
  const forwarding = reservationForwarding({
    stores: options.reservationStores ?? memoryReservationStores(engine.clock),
    intervalMs: options.forwardIntervalMs ?? 1000,
    maxAttempts: options.forwardMaxAttempts ?? 5,
    // A delivery lasts at most the backend timeout; the margin covers the store's own round trips.
    leaseMs: timeoutMs + 5000,
  });
  installReservationForwarding(engine, forwarding);
  const server = httpServer({
    name: 'healthcare',
    port: options.port ?? 8290,
    host: options.host ?? '127.0.0.1',
    apis: [healthcareApi({ timeoutMs, forwarding })],
    proxies: [healthcareSoapService()],
    health: true,
    ...(options.maxBodyBytes === undefined ? {} : { limits: { bodyBytes: options.maxBodyBytes } }),
  });
  engine.use(server);
  return { server, forwarding };
}

/**
 * The `/healthcare` API: T1, T2, T3, T4 and T6, plus T5 when given the forwarding it stores into.
 *
 * @example
 * httpServer({ port: 8290, apis: [healthcareApi({ timeoutMs: 10_000 })] })
 */
export function healthcareApi(options: {
  readonly timeoutMs: number;
  readonly forwarding?: ReservationForwarding;
}): HttpApi {
  return httpApi({
    name: 'healthcare',
    context: '/healthcare',
    resources: [
      {
        // T1: the backend's status and body come back as they are.
        method: 'GET',
        path: '/querydoctor/{category}',
        steps: [call(endpoints.doctors), respond()],
      },
      {
        // T2: content-based routing; the original body goes to the backend untouched.
        method: 'POST',
        path: '/categories/{category}/reserve',
        accepts: JSON_ONLY,
        steps: [routeByHospitalName(), call(endpoints.reserve), respond()],
      },
      {
        // T3: message translation from the flat form to the nested one, routed by `hospital_id`.
        method: 'POST',
        path: '/v2/categories/{category}/reserve',
        accepts: JSON_ONLY,
        steps: [
          validate(flatReservationSchema),
          transform(async (ctx) => toNested(await ctx.message.json<FlatReservation>())),
          setVar('hospitalId', async (ctx) => (await ctx.message.json<Reservation>()).hospital_id),
          call(endpoints.reserve),
          respond(),
        ],
      },
      {
        // T4: orchestration — reserve, fee, payment.
        method: 'POST',
        path: '/v3/categories/{category}/reserve',
        accepts: JSON_ONLY,
        steps: reserveAndPay(),
      },
      {
        // T6: scatter-gather — ask the three hospitals at once, keep the ones that know the appointment.
        method: 'GET',
        path: '/fees/{appointmentNumber}',
        steps: [
          scatterGather({
            branches: HOSPITAL_IDS.map((id) => ({
              name: id,
              endpoint: endpoints.hospitalFee,
              vars: { hospitalId: id },
            })),
            timeoutMs: options.timeoutMs,
            aggregate: (results, ctx) => collectFees(results, ctx.transport.params.appointmentNumber),
          }),
          respond(),
        ],
      },
      // T5: store and forward (and its stats).
      ...(options.forwarding?.resources ?? []),
    ],
  });
}
