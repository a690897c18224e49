/**
 * `@mediary/xml`: XML and SOAP for Mediary — safe parsing and serialisation, JSON ⇄ XML conversion,
 * XPath 3.1, SOAP 1.1/1.2 envelopes and faults, and XSD validation; and, on top of them, the pieces a route
 * uses: the body's cached XML view, `xpath` expressions, and the `xmlToJson`, `jsonToXml`, `validateXml`,
 * `soapUnwrap`, `soapWrap` and `soapFaultReply` steps.
 *
 * @example
 * import { soapFaultReply, soapUnwrap, soapWrap, xpath } from '@mediary/xml';
 *
 * @module
 */

export { xmlErrors } from './errors.js';
export {
  convertJsonToXml,
  convertXmlToJson,
  JSON_NAMESPACE,
  type JsonToXmlOptions,
  type JsonValue,
  type XmlToJsonOptions,
  XSI_NAMESPACE,
} from './json-xml.js';
export {
  type JsonToXmlStepOptions,
  jsonToXml,
  XML_CONTENT_TYPE,
  type XmlToJsonStepOptions,
  xmlToJson,
} from './mediary/convert.js';
export { type SoapFaultReplyOptions, soapFaultReply } from './mediary/soap-fault-reply.js';
export { type SoapUnwrapOptions, type SoapVars, soapUnwrap } from './mediary/soap-unwrap.js';
export { type SoapWrapOptions, soapWrap } from './mediary/soap-wrap.js';
export { validateXml } from './mediary/validate-xml.js';
export { readXml, xmlView } from './mediary/xml-view.js';
export { type XPathExpr, type XPathExprOptions, type XPathFactory, xpath } from './mediary/xpath-expr.js';
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
