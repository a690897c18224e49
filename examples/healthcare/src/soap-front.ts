/**
 * T7: a SOAP 1.1 front for T2's content-based routing (SCENARIOS.md section 2).
 *
 * `POST /services/HealthcareService` takes `<reserve xmlns="urn:mediary:healthcare">` with `SOAPAction:
 * "urn:reserve"`, checks it against the schema its WSDL publishes, routes it by `hospital` exactly as T2 does,
 * sends the backend the nested JSON form, and answers with `<reserveResponse>` holding the backend's reply as
 * elements. Every failure is a SOAP 1.1 fault with HTTP 500 (WS-I Basic Profile): `soap:Client` for bad input,
 * `soap:Server` for backend failures, the Mediary error code in the detail. `GET …?wsdl` answers with a WSDL 1.1
 * (document/literal) whose address is built from the request's `Host`.
 *
 * @module
 */
import {
  call,
  choice,
  defineMediator,
  type Mediator,
  type MessageContext,
  respond,
  setVar,
  transform,
} from '@mediary/core';
import { type HttpServerOptions, type ProxyService, proxyService } from '@mediary/http';
import { jsonToXml, soapFaultReply, soapUnwrap, soapWrap, validateXml, xmlToJson, xpath } from '@mediary/xml';
import { endpoints } from './endpoints.js';
import { healthcareErrors } from './errors.js';
import { routeByHospitalName } from './hospital-routing.js';
import { appointmentSchema } from './reservation.js';

/** The namespace of `reserve` and `reserveResponse`. */
export const HEALTHCARE_NAMESPACE = 'urn:mediary:healthcare';
/** The service's name, which is also the last segment of its path. */
export const HEALTHCARE_SERVICE = 'HealthcareService';
/** Where the service is served. */
export const HEALTHCARE_SERVICE_PATH = `/services/${HEALTHCARE_SERVICE}`;
/** The one operation's SOAP action. */
export const RESERVE_ACTION = 'urn:reserve';

/**
 * The messages of the service, self-contained so the same text validates requests and is embedded in the
 * WSDL. `reserve` uses `xs:all` (any order; SOAP clients and hand-written requests differ there); the
 * patient's details other than `name`, and `appointment_date` (the backend defaults it to today), may be
 * left out — T2 does not demand them either. The reply lists the backend's fields in a fixed order.
 */
export const HEALTHCARE_XSD = `<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema" xmlns:tns="${HEALTHCARE_NAMESPACE}"
    targetNamespace="${HEALTHCARE_NAMESPACE}" elementFormDefault="qualified">
  <xs:complexType name="Patient">
    <xs:all>
      <xs:element name="name" type="xs:string"/>
      <xs:element name="dob" type="xs:string" minOccurs="0"/>
      <xs:element name="ssn" type="xs:string" minOccurs="0"/>
      <xs:element name="address" type="xs:string" minOccurs="0"/>
      <xs:element name="phone" type="xs:string" minOccurs="0"/>
      <xs:element name="email" type="xs:string" minOccurs="0"/>
    </xs:all>
  </xs:complexType>
  <xs:complexType name="PatientDetails">
    <xs:sequence>
      <xs:element name="name" type="xs:string"/>
      <xs:element name="dob" type="xs:string" minOccurs="0"/>
      <xs:element name="ssn" type="xs:string" minOccurs="0"/>
      <xs:element name="address" type="xs:string" minOccurs="0"/>
      <xs:element name="phone" type="xs:string" minOccurs="0"/>
      <xs:element name="email" type="xs:string" minOccurs="0"/>
    </xs:sequence>
  </xs:complexType>
  <xs:complexType name="Doctor">
    <xs:sequence>
      <xs:element name="name" type="xs:string"/>
      <xs:element name="hospital" type="xs:string" minOccurs="0"/>
      <xs:element name="category" type="xs:string" minOccurs="0"/>
      <xs:element name="availability" type="xs:string" minOccurs="0"/>
      <xs:element name="fee" type="xs:double" minOccurs="0"/>
    </xs:sequence>
  </xs:complexType>
  <xs:element name="reserve">
    <xs:complexType>
      <xs:all>
        <xs:element name="category" type="xs:string"/>
        <xs:element name="hospital" type="xs:string"/>
        <xs:element name="doctor" type="xs:string"/>
        <xs:element name="appointment_date" type="xs:string" minOccurs="0"/>
        <xs:element name="patient" type="tns:Patient"/>
      </xs:all>
    </xs:complexType>
  </xs:element>
  <xs:element name="reserveResponse">
    <xs:complexType>
      <xs:sequence>
        <xs:element name="appointmentNumber" type="xs:int"/>
        <xs:element name="doctor" type="tns:Doctor"/>
        <xs:element name="patient" type="tns:PatientDetails"/>
        <xs:element name="hospital" type="xs:string"/>
        <xs:element name="fee" type="xs:double"/>
        <xs:element name="confirmed" type="xs:boolean"/>
        <xs:element name="appointmentDate" type="xs:string"/>
      </xs:sequence>
    </xs:complexType>
  </xs:element>
</xs:schema>`;

const WSDL_NAMESPACE = 'http://schemas.xmlsoap.org/wsdl/';
const WSDL_SOAP11_NAMESPACE = 'http://schemas.xmlsoap.org/wsdl/soap/';
const SOAP_HTTP_TRANSPORT = 'http://schemas.xmlsoap.org/soap/http';
/** What a `Host` header may hold to be written into the WSDL: a name or address, and a port. */
const SAFE_HOST = /^(?:[A-Za-z0-9.-]+|\[[0-9A-Fa-f:.]+\])(?::\d{1,5})?$/;

/**
 * The WSDL 1.1 of the service: document/literal, the schema above embedded, a SOAP 1.1 binding with
 * `soapAction="urn:reserve"`, and the service at `address`.
 *
 * @example
 * healthcareWsdl('http://127.0.0.1:8290/services/HealthcareService')
 */
export function healthcareWsdl(address: string): string {
  return `<?xml version="1.0" encoding="UTF-8"?>
<wsdl:definitions name="${HEALTHCARE_SERVICE}" targetNamespace="${HEALTHCARE_NAMESPACE}"
    xmlns:wsdl="${WSDL_NAMESPACE}" xmlns:soap="${WSDL_SOAP11_NAMESPACE}" xmlns:tns="${HEALTHCARE_NAMESPACE}">
  <wsdl:types>
${HEALTHCARE_XSD}
  </wsdl:types>
  <wsdl:message name="reserveRequest">
    <wsdl:part name="parameters" element="tns:reserve"/>
  </wsdl:message>
  <wsdl:message name="reserveResponse">
    <wsdl:part name="parameters" element="tns:reserveResponse"/>
  </wsdl:message>
  <wsdl:portType name="${HEALTHCARE_SERVICE}PortType">
    <wsdl:operation name="reserve">
      <wsdl:input message="tns:reserveRequest"/>
      <wsdl:output message="tns:reserveResponse"/>
    </wsdl:operation>
  </wsdl:portType>
  <wsdl:binding name="${HEALTHCARE_SERVICE}Soap11Binding" type="tns:${HEALTHCARE_SERVICE}PortType">
    <soap:binding style="document" transport="${SOAP_HTTP_TRANSPORT}"/>
    <wsdl:operation name="reserve">
      <soap:operation soapAction="${RESERVE_ACTION}" style="document"/>
      <wsdl:input><soap:body use="literal"/></wsdl:input>
      <wsdl:output><soap:body use="literal"/></wsdl:output>
    </wsdl:operation>
  </wsdl:binding>
  <wsdl:service name="${HEALTHCARE_SERVICE}">
    <wsdl:port name="${HEALTHCARE_SERVICE}Soap11Endpoint" binding="tns:${HEALTHCARE_SERVICE}Soap11Binding">
      <soap:address location="${escapeAttribute(address)}"/>
    </wsdl:port>
  </wsdl:service>
</wsdl:definitions>
`;
}

function escapeAttribute(value: string): string {
  return value.replace(/[&<>"]/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** The address a client reached the service at; a `Host` that is not a plain host and port is not echoed. */
function serviceAddress(ctx: MessageContext): string {
  const host = ctx.message.headers.get('host');
  return `http://${host !== undefined && SAFE_HOST.test(host) ? host : 'localhost'}${HEALTHCARE_SERVICE_PATH}`;
}

function isWsdlRequest(ctx: MessageContext): boolean {
  const method = ctx.transport.props.method;
  if (method !== 'GET' && method !== 'HEAD') return false;
  return Object.keys(ctx.transport.query).some((key) => key.toLowerCase() === 'wsdl');
}

/** Answers `GET …?wsdl`: the proxy serves it itself, because the address depends on the request's `Host`. */
function serveWsdl(): Mediator {
  return defineMediator('serveWsdl', (ctx) => {
    ctx.message.setText(healthcareWsdl(serviceAddress(ctx)), 'text/xml; charset=utf-8');
    ctx.message.status = 200;
    return 'respond';
  });
}

const ns = { namespaces: { h: HEALTHCARE_NAMESPACE } };

interface ReserveRequest {
  readonly patient: Readonly<Record<string, unknown>>;
  readonly doctor: string;
  readonly hospital: string;
  readonly appointment_date?: string;
}

/** The T2 body the backend takes, from the request's fields; `hospital_id` is what the routing chose. */
async function toBackendReservation(ctx: MessageContext): Promise<unknown> {
  const request = await ctx.message.json<ReserveRequest>();
  return {
    patient: request.patient,
    doctor: request.doctor,
    hospital_id: ctx.vars.hospitalId,
    hospital: request.hospital,
    appointment_date: request.appointment_date,
  };
}

const PATIENT_FIELDS = ['name', 'dob', 'ssn', 'address', 'phone', 'email'] as const;
const DOCTOR_FIELDS = ['name', 'hospital', 'category', 'availability', 'fee'] as const;

function pick(value: unknown, fields: readonly string[]): Record<string, unknown> {
  const source = typeof value === 'object' && value !== null ? (value as Record<string, unknown>) : {};
  return Object.fromEntries(fields.map((field) => [field, source[field]]));
}

/**
 * The backend's reservation in the order `reserveResponse` declares (a backend may order its JSON as it
 * likes; an XML sequence may not). A reply without an appointment number is the backend's fault.
 */
async function toReserveResponse(ctx: MessageContext): Promise<unknown> {
  const parsed = appointmentSchema.safeParse(await ctx.message.json());
  if (!parsed.success) {
    throw healthcareErrors.BAD_REPLY({
      endpoint: endpoints.appointment,
      reason: parsed.error.issues[0]?.message,
    });
  }
  const reply = parsed.data as Record<string, unknown>;
  return {
    appointmentNumber: reply.appointmentNumber,
    doctor: pick(reply.doctor, DOCTOR_FIELDS),
    patient: pick(reply.patient, PATIENT_FIELDS),
    hospital: reply.hospital,
    fee: reply.fee,
    confirmed: reply.confirmed,
    appointmentDate: reply.appointmentDate,
  };
}

/**
 * The `HealthcareService` proxy service (T7).
 *
 * @example
 * httpServer({ port: 8290, apis: [healthcareApi({ timeoutMs })], proxies: [healthcareSoapService()] })
 */
export function healthcareSoapService(): ProxyService {
  return proxyService({
    name: HEALTHCARE_SERVICE,
    path: HEALTHCARE_SERVICE_PATH,
    steps: [
      choice({ cases: [{ when: isWsdlRequest, steps: [serveWsdl()] }] }),
      soapUnwrap({ operations: [`{${HEALTHCARE_NAMESPACE}}reserve`] }),
      validateXml(HEALTHCARE_XSD),
      setVar('category', xpath.string('/h:reserve/h:category', ns)),
      xmlToJson({ mode: 'plain', stripPrefixes: true }),
      // T2's routing, unchanged: `hospital` → `vars.hospitalId`, or MEDIARY_HEALTHCARE_UNKNOWN_HOSPITAL (400).
      routeByHospitalName(),
      transform(toBackendReservation),
      // The reserve endpoint that turns a backend error status into an error, so it becomes a fault.
      call(endpoints.appointment),
      transform(toReserveResponse),
      jsonToXml({ mode: 'plain', root: 'reserveResponse', namespace: HEALTHCARE_NAMESPACE }),
      soapWrap({ version: '1.1' }),
      respond(),
    ],
    onError: [soapFaultReply({ version: '1.1' })],
  });
}

/**
 * Adds the SOAP front to HTTP server options (the hospital endpoints must be registered on the engine).
 *
 * @example
 * engine.use(httpServer(withHealthcareSoap({ port: 8290, apis: [healthcareApi({ timeoutMs })] })));
 */
export function withHealthcareSoap(options: HttpServerOptions): HttpServerOptions {
  return { ...options, proxies: [...(options.proxies ?? []), healthcareSoapService()] };
}
