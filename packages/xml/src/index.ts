/**
 * `@mediary/xml`: XML and SOAP for Mediary — safe parsing and serialisation, JSON ⇄ XML conversion,
 * XPath 3.1, SOAP 1.1/1.2 envelopes and faults, and XSD validation.
 *
 * @module
 */

export {
  isXmlError,
  XmlError,
  type XmlErrorDescriptor,
  type XmlErrorDetails,
  type XmlErrorKey,
  type XmlErrorOptions,
  xmlErrors,
} from './errors.js';
export {
  JSON_NAMESPACE,
  type JsonToXmlOptions,
  type JsonValue,
  jsonToXml,
  type XmlToJsonOptions,
  XSI_NAMESPACE,
  xmlToJson,
} from './json-xml.js';
export { defaultXmlLimits, parseXml, type XmlLimits } from './parse-xml.js';
export { type SerializeXmlOptions, serializeXml } from './serialize-xml.js';
export {
  type BuildEnvelopeOptions,
  type BuildFaultOptions,
  buildEnvelope,
  buildFault,
  MEDIARY_FAULT_NAMESPACE,
  parseEnvelope,
  SOAP11_NAMESPACE,
  SOAP12_NAMESPACE,
  type Soap11FaultCode,
  type Soap12FaultCode,
  type SoapContent,
  type SoapEnvelope,
  type SoapFault,
  type SoapFaultDetail,
  SoapFaultError,
  type SoapHeaderSource,
  type SoapVersion,
  soapActionOf,
  soapHeaders,
  soapVersionOf,
} from './soap.js';
export {
  attributeValue,
  childElements,
  textContent,
  XML_NAMESPACE,
  XMLNS_NAMESPACE,
  type XmlAttribute,
  type XmlCData,
  type XmlComment,
  type XmlDeclaration,
  type XmlDocument,
  type XmlElement,
  type XmlElementOptions,
  type XmlNode,
  type XmlProcessingInstruction,
  type XmlText,
  xmlElement,
} from './xml-tree.js';
export {
  type CompiledXPath,
  compileXPath,
  evaluateXPathToBoolean,
  evaluateXPathToNodes,
  evaluateXPathToNumber,
  evaluateXPathToString,
  type XPathInput,
  type XPathNode,
  type XPathOptions,
  type XPathVariables,
} from './xpath.js';
export {
  assertValid,
  type CompiledXsd,
  type CompileXsdOptions,
  compileXsd,
  type XsdValidationError,
  type XsdValidationResult,
} from './xsd.js';
