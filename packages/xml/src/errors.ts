/**
 * Error catalog of `@mediary/xml`.
 *
 * Every failure this package raises is an {@link XmlError} whose `code` comes from {@link xmlErrors}.
 * The catalog has the same shape as the descriptors `@mediary/core`'s `defineErrors` will produce, so
 * switching to it later changes this file only: throw sites pass a descriptor, never a code string.
 *
 * @module
 */

/** One catalog entry: a stable code, the HTTP status it maps to, and a default message. */
export interface XmlErrorDescriptor {
  readonly code: string;
  readonly status: number;
  readonly retryable: boolean;
  readonly message: string;
}

function descriptor(code: string, status: number, message: string): XmlErrorDescriptor {
  return Object.freeze({ code, status, retryable: false, message });
}

/**
 * The codes of this package. Codes are stable: a retired code is never reused for something else.
 *
 * @example
 * ```ts
 * import { xmlErrors, XmlError } from '@mediary/xml';
 * try { parseXml('<a>'); } catch (e) {
 *   if (e instanceof XmlError && e.code === xmlErrors.malformed.code) console.log(e.details);
 * }
 * ```
 */
export const xmlErrors = Object.freeze({
  malformed: descriptor('MEDIARY_XML_MALFORMED', 400, 'The XML is not well-formed'),
  doctypeForbidden: descriptor(
    'MEDIARY_XML_DOCTYPE_FORBIDDEN',
    400,
    'A DOCTYPE declaration is not accepted (it enables entity expansion and external entities)',
  ),
  tooDeep: descriptor('MEDIARY_XML_TOO_DEEP', 400, 'The XML nests elements deeper than allowed'),
  tooLarge: descriptor('MEDIARY_XML_TOO_LARGE', 413, 'The XML is larger than allowed'),
  tooManyAttributes: descriptor(
    'MEDIARY_XML_TOO_MANY_ATTRIBUTES',
    400,
    'An XML element has more attributes than allowed',
  ),
  textTooLong: descriptor('MEDIARY_XML_TEXT_TOO_LONG', 413, 'An XML text node is longer than allowed'),
  unserializable: descriptor(
    'MEDIARY_XML_UNSERIALIZABLE',
    500,
    'The XML tree cannot be written as well-formed XML',
  ),
  xpathFailed: descriptor('MEDIARY_XML_XPATH_FAILED', 500, 'The XPath expression failed'),
  invalid: descriptor('MEDIARY_XML_INVALID', 400, 'The XML is not valid against its schema'),
  schemaInvalid: descriptor('MEDIARY_XML_SCHEMA_INVALID', 500, 'The XML schema cannot be compiled'),
  conversion: descriptor('MEDIARY_XML_CONVERSION', 400, 'The value cannot be converted between JSON and XML'),
  soapFault: descriptor('MEDIARY_SOAP_FAULT', 502, 'The SOAP service answered with a fault'),
  soapMalformed: descriptor('MEDIARY_SOAP_MALFORMED', 400, 'The message is not a SOAP envelope'),
});

/** Keys of {@link xmlErrors}. */
export type XmlErrorKey = keyof typeof xmlErrors;

/** Where in the input a problem was found, and anything else that helps the reader. */
export interface XmlErrorDetails {
  readonly line?: number;
  readonly column?: number;
  readonly [key: string]: unknown;
}

/** Options of {@link XmlError}. */
export interface XmlErrorOptions {
  /** Replaces the catalog's default message; say what was found, not only what is wrong. */
  readonly message?: string;
  readonly details?: XmlErrorDetails;
  readonly cause?: unknown;
}

/**
 * The error thrown by this package. `code`, `status` and `retryable` come from the catalog entry.
 *
 * @example
 * ```ts
 * throw new XmlError(xmlErrors.tooDeep, { message: 'depth 257 > 256', details: { line: 3, column: 9 } });
 * ```
 */
export class XmlError extends Error {
  override readonly name: string = 'XmlError';
  readonly code: string;
  readonly status: number;
  readonly retryable: boolean;
  readonly details: XmlErrorDetails;

  constructor(error: XmlErrorDescriptor, options: XmlErrorOptions = {}) {
    super(options.message ?? error.message, options.cause === undefined ? {} : { cause: options.cause });
    this.code = error.code;
    this.status = error.status;
    this.retryable = error.retryable;
    this.details = Object.freeze({ ...options.details });
  }
}

/**
 * Whether `value` is an {@link XmlError}, optionally of one catalog entry. Matches on the code, so it
 * also recognises errors from a second copy of this package in the same process.
 *
 * @example
 * ```ts
 * if (isXmlError(e, xmlErrors.doctypeForbidden)) reply(400);
 * ```
 */
export function isXmlError(value: unknown, error?: XmlErrorDescriptor): value is XmlError {
  if (typeof value !== 'object' || value === null) return false;
  const code = (value as { code?: unknown }).code;
  if (typeof code !== 'string') return false;
  return error === undefined ? Object.values(xmlErrors).some((e) => e.code === code) : code === error.code;
}
