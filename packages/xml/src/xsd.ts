/**
 * XSD validation with libxml2 compiled to WebAssembly (libxml2-wasm).
 *
 * The wasm module is loaded on the first {@link compileXsd}, so code that never validates does not pay
 * for it. Documents pass {@link parseXml}'s checks (DOCTYPE refused, limits) before libxml2 sees them, and
 * libxml2 parses with `XML_PARSE_NONET | XML_PARSE_NO_XXE` and without entity substitution or DTD
 * loading. Schemas must be self-contained: `xs:include`, `xs:redefine`, `xs:override` and `xs:import`
 * with a `schemaLocation` are refused, because libxml2-wasm resolves them through process-wide input
 * providers that another part of the host may have registered (e.g. its file-system provider).
 *
 * @module
 */

import { xmlErrors } from './errors.js';
import { parseXml, type XmlLimits } from './parse-xml.js';
import { serializeXml } from './serialize-xml.js';
import type { XmlDocument } from './xml-tree.js';

/** One validation problem as libxml2 reports it. */
export interface XsdValidationError {
  readonly line: number;
  readonly column: number;
  readonly message: string;
}

/** The outcome of {@link CompiledXsd.validate}. */
export type XsdValidationResult =
  | { readonly valid: true }
  | { readonly valid: false; readonly errors: readonly XsdValidationError[] };

/** A compiled schema. It holds wasm memory: call `dispose()` (or use `using`) when done with it. */
export interface CompiledXsd extends Disposable {
  /**
   * Validates a document. Malformed or unsafe input throws the errors of {@link parseXml}; a
   * well-formed document that breaks the schema gives `{ valid: false, errors }`.
   */
  validate(input: string | Uint8Array | XmlDocument): XsdValidationResult;
  /** Frees the schema's wasm memory; later calls to `validate` throw. */
  dispose(): void;
}

/** Options of {@link compileXsd}. */
export interface CompileXsdOptions {
  /** Limits for the schema and for every validated document. */
  readonly limits?: XmlLimits;
}

type Libxml2 = typeof import('libxml2-wasm');
let libxml2: Promise<Libxml2> | undefined;

function loadLibxml2(): Promise<Libxml2> {
  // Loading instantiates the wasm module (top-level await inside), so it happens once, on demand.
  libxml2 ??= import('libxml2-wasm');
  return libxml2;
}

const XSD_NAMESPACE = 'http://www.w3.org/2001/XMLSchema';
const EXTERNAL_SCHEMA_ELEMENTS = new Set(['include', 'redefine', 'override', 'import']);

function messageOf(detail: { message: string }): string {
  return detail.message.trim();
}

/**
 * Compiles an XSD (given as text) for repeated validation.
 *
 * @throws {MediaryError} the parse errors of {@link parseXml} for the schema text, or
 *   `MEDIARY_XML_SCHEMA_INVALID` when libxml2 cannot compile it or it refers to other schema files.
 * @example
 * ```ts
 * using schema = await compileXsd(xsdText);
 * const result = schema.validate('<order id="x"/>');
 * if (!result.valid) console.log(result.errors[0]?.line, result.errors[0]?.message);
 * ```
 */
export async function compileXsd(source: string, options: CompileXsdOptions = {}): Promise<CompiledXsd> {
  const schemaTree = parseXml(source, options.limits);
  checkSelfContained(schemaTree);
  const lib = await loadLibxml2();
  const parseOptions = { option: lib.ParseOption.XML_PARSE_NONET | lib.ParseOption.XML_PARSE_NO_XXE };
  let schemaDocument: InstanceType<Libxml2['XmlDocument']> | undefined;
  let validator: InstanceType<Libxml2['XsdValidator']>;
  try {
    schemaDocument = lib.XmlDocument.fromString(source, parseOptions);
    validator = lib.XsdValidator.fromDoc(schemaDocument);
  } catch (cause) {
    schemaDocument?.dispose();
    const details =
      cause instanceof lib.XmlLibError ? cause.details.map(messageOf).join('; ') : String(cause);
    throw xmlErrors.SCHEMA_INVALID({ reason: `the XSD cannot be compiled: ${details}` }, { cause });
  }
  const schemaDoc = schemaDocument;
  let disposed = false;
  const dispose = (): void => {
    if (disposed) return;
    disposed = true;
    validator.dispose();
    // The compiled schema may point into the schema document, so that goes last.
    schemaDoc.dispose();
  };
  return {
    validate(input) {
      if (disposed) throw xmlErrors.SCHEMA_INVALID({ reason: 'the XSD has been disposed' });
      const text = typeof input === 'string' || input instanceof Uint8Array ? input : serializeXml(input);
      if (typeof input === 'string' || input instanceof Uint8Array) parseXml(input, options.limits);
      const document =
        typeof text === 'string'
          ? lib.XmlDocument.fromString(text, parseOptions)
          : lib.XmlDocument.fromBuffer(text, parseOptions);
      try {
        validator.validate(document);
        return { valid: true };
      } catch (cause) {
        if (!(cause instanceof lib.XmlValidateError)) {
          throw xmlErrors.INVALID({ reason: `libxml2 failed: ${String(cause)}` }, { cause });
        }
        const errors = cause.details.map((d) => ({ line: d.line, column: d.col, message: messageOf(d) }));
        return { valid: false, errors };
      } finally {
        document.dispose();
      }
    },
    dispose,
    [Symbol.dispose]: dispose,
  };
}

function checkSelfContained(schema: XmlDocument): void {
  const pending = [schema.root];
  for (let element = pending.pop(); element !== undefined; element = pending.pop()) {
    if (element.namespace === XSD_NAMESPACE && EXTERNAL_SCHEMA_ELEMENTS.has(element.localName)) {
      const location = element.attributes.find((a) => a.name === 'schemaLocation');
      if (location !== undefined) {
        throw xmlErrors.SCHEMA_INVALID({
          reason: `the XSD refers to another schema file (xs:${element.localName} schemaLocation="${location.value}"); only self-contained schemas are accepted`,
        });
      }
    }
    for (const child of element.children) if (child.type === 'element') pending.push(child);
  }
}

/**
 * Validates once and throws on failure — for a route step that must stop invalid messages.
 *
 * @throws {MediaryError} `MEDIARY_XML_INVALID` with `details.errors` listing libxml2's findings.
 * @example
 * ```ts
 * assertValid(schema, body); // throws MEDIARY_XML_INVALID (400) when invalid
 * ```
 */
export function assertValid(schema: CompiledXsd, input: string | Uint8Array | XmlDocument): void {
  const result = schema.validate(input);
  if (result.valid) return;
  const first = result.errors[0];
  // The line goes first: long libxml2 messages are shortened at the end when they reach the client.
  const reason = first === undefined ? 'libxml2 gave no reason' : `line ${first.line}: ${first.message}`;
  throw xmlErrors.INVALID(
    { reason },
    {
      details: {
        errors: result.errors,
        ...(first === undefined ? {} : { line: first.line, column: first.column }),
      },
    },
  );
}
