/**
 * Error catalog of `@mediary/xml`, declared with `@mediary/core`'s {@link defineErrors}: every failure this
 * package raises is a `MediaryError` with a stable code, an HTTP status, `retryable`, `details` and `cause`,
 * so core's error handling and the HTTP error replies treat XML errors like any other.
 *
 * Throw sites pass params, never a code string: `{reason}` carries what was found (with the line and column
 * for parse errors), and every param also lands in `details` (`details.line`, `details.expression`…).
 *
 * @module
 */
import { defineErrors } from '@mediary/core';

/**
 * The codes of this package. Codes are stable: a retired code is never reused for something else.
 *
 * @example
 * ```ts
 * import { xmlErrors } from '@mediary/xml';
 * try { parseXml('<a>'); } catch (e) {
 *   if (xmlErrors.MALFORMED.is(e)) console.log(e.details.line, e.details.column);
 * }
 * throw xmlErrors.INVALID({ reason: 'element x: not expected (line 3)', line: 3 });
 * ```
 */
export const xmlErrors = defineErrors({
  MALFORMED: {
    code: 'MEDIARY_XML_MALFORMED',
    message: 'The XML is not well-formed: {reason}',
    status: 400,
  },
  DOCTYPE_FORBIDDEN: {
    code: 'MEDIARY_XML_DOCTYPE_FORBIDDEN',
    message:
      'A DOCTYPE declaration is not accepted (it enables entity expansion and external entities): {reason}',
    status: 400,
  },
  TOO_DEEP: {
    code: 'MEDIARY_XML_TOO_DEEP',
    message: 'The XML nests elements deeper than allowed: {reason}',
    status: 400,
  },
  TOO_LARGE: {
    code: 'MEDIARY_XML_TOO_LARGE',
    message: 'The XML is larger than allowed: {reason}',
    status: 413,
  },
  TOO_MANY_ATTRIBUTES: {
    code: 'MEDIARY_XML_TOO_MANY_ATTRIBUTES',
    message: 'An XML element has more attributes than allowed: {reason}',
    status: 400,
  },
  TEXT_TOO_LONG: {
    code: 'MEDIARY_XML_TEXT_TOO_LONG',
    message: 'An XML text node is longer than allowed: {reason}',
    status: 413,
  },
  UNSERIALIZABLE: {
    code: 'MEDIARY_XML_UNSERIALIZABLE',
    message: 'The XML tree cannot be written as well-formed XML: {reason}',
    status: 500,
  },
  XPATH_FAILED: {
    code: 'MEDIARY_XML_XPATH_FAILED',
    message: 'XPath {expression} failed: {reason}',
    status: 500,
  },
  INVALID: {
    code: 'MEDIARY_XML_INVALID',
    message: 'The XML is not valid against its schema: {reason}',
    status: 400,
  },
  SCHEMA_INVALID: {
    code: 'MEDIARY_XML_SCHEMA_INVALID',
    message: 'The XML schema cannot be used: {reason}',
    status: 500,
  },
  CONVERSION: {
    code: 'MEDIARY_XML_CONVERSION',
    message: 'The value cannot be converted between JSON and XML: {reason}',
    status: 400,
  },
  SOAP_FAULT: {
    code: 'MEDIARY_SOAP_FAULT',
    message: 'The SOAP service answered with a SOAP {version} fault {faultCode}: {faultReason}',
    status: 502,
  },
  SOAP_MALFORMED: {
    code: 'MEDIARY_SOAP_MALFORMED',
    message: 'The message is not a usable SOAP envelope: {reason}',
    status: 400,
  },
  SOAP_BAD_REPLY: {
    code: 'MEDIARY_SOAP_BAD_REPLY',
    message: 'The SOAP service sent a reply that cannot be used (status {status}): {reason}',
    status: 502,
  },
  SOAP_UNKNOWN_OPERATION: {
    code: 'MEDIARY_SOAP_UNKNOWN_OPERATION',
    message: 'The SOAP body holds {element}, which is not an operation of this service; expected {expected}',
    status: 400,
  },
});
