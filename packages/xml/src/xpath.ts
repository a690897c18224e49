/**
 * XPath 3.1 over the object form, by fontoxpath on a slimdom DOM.
 *
 * Documents given as text go through {@link parseXml} (DOCTYPE refused, limits applied) before a DOM
 * is built; slimdom's own parser is never used. Compiled expressions are cached, and the DOM built for
 * a parsed document is cached per document object, so evaluating several expressions on one message
 * converts it once.
 *
 * **Bounds.** fontoxpath evaluates synchronously and has no timeout. The document side is bounded by
 * the parse limits; the expression side is not: XPath 3.1 has ranges and recursive inline functions,
 * so an expression can run for as long as it likes. Expressions are code (they come from the route's
 * author, not from messages) and must never be taken from message content. `fn:doc`,
 * `fn:unparsed-text` and `fn:environment-variable` are not available in fontoxpath, so an expression
 * cannot read files, URLs or the environment.
 *
 * @module
 */

import type { MediaryError } from '@mediary/core';
import fontoxpath from 'fontoxpath';
import * as slimdom from 'slimdom';
import { xmlErrors } from './errors.js';
import { type DomView, toDom, type XPathNode } from './internal/to-dom.js';
import { parseXml, type XmlLimits } from './parse-xml.js';
import type { XmlDocument, XmlElement } from './xml-tree.js';

export type { XPathNode } from './internal/to-dom.js';

/** What an XPath is evaluated on: XML text or bytes, a parsed document, or an element (the context item). */
export type XPathInput = string | Uint8Array | XmlDocument | XmlElement;

/** Options of {@link compileXPath}. */
export interface XPathOptions {
  /** Prefixes the expression uses, e.g. `{ soap: 'http://schemas.xmlsoap.org/soap/envelope/' }`. */
  readonly namespaces?: Readonly<Record<string, string>>;
  /** Limits for parsing text input. */
  readonly limits?: XmlLimits;
}

/** Variables bound in the expression as `$name`. */
export type XPathVariables = Readonly<Record<string, unknown>>;

/** A compiled expression: call it for the result as fontoxpath returns it (nodes mapped back). */
export interface CompiledXPath {
  (input: XPathInput, variables?: XPathVariables): unknown;
  readonly expression: string;
  /** The result as a string (`''` for an empty sequence). */
  string(input: XPathInput, variables?: XPathVariables): string;
  /** The effective boolean value. */
  boolean(input: XPathInput, variables?: XPathVariables): boolean;
  /** The result as a number (`NaN` when it is not one). */
  number(input: XPathInput, variables?: XPathVariables): number;
  /** The selected nodes, as the very objects of the object form that were passed in. */
  nodes(input: XPathInput, variables?: XPathVariables): XPathNode[];
}

const { evaluateXPath, parseScript } = fontoxpath;
const CACHE_SIZE = 256;
const cache = new Map<string, CompiledXPath>();
const domCache = new WeakMap<XmlDocument | XmlElement, DomView>();
const syntaxDocument = new slimdom.Document();

function failure(expression: string, cause: unknown): MediaryError {
  const reason = cause instanceof Error ? cause.message.split('\n')[0] : String(cause);
  return xmlErrors.XPATH_FAILED(
    { expression: JSON.stringify(expression), reason },
    { cause, details: { expression } },
  );
}

/**
 * Compiles an XPath 3.1 expression once; the same expression and namespaces return the cached object.
 *
 * @throws {MediaryError} `MEDIARY_XML_XPATH_FAILED` naming the expression, for a syntax error now or for an
 *   evaluation error later.
 * @example
 * ```ts
 * const total = compileXPath('sum(/o:order/o:line/@price)', { namespaces: { o: 'urn:shop' } });
 * total.number('<order xmlns="urn:shop"><line price="2"/><line price="3"/></order>'); // 5
 * ```
 */
export function compileXPath(expression: string, options: XPathOptions = {}): CompiledXPath {
  const namespaces = options.namespaces ?? {};
  const key = `${JSON.stringify(Object.entries(namespaces).sort())}\u0000${JSON.stringify(options.limits ?? {})}\u0000${expression}`;
  const cached = cache.get(key);
  if (cached !== undefined) {
    // Re-insert so that the map's order is least recently used first.
    cache.delete(key);
    cache.set(key, cached);
    return cached;
  }
  const compiled = compile(expression, namespaces, options.limits);
  cache.set(key, compiled);
  if (cache.size > CACHE_SIZE) cache.delete(cache.keys().next().value as string);
  return compiled;
}

function compile(
  expression: string,
  namespaces: Readonly<Record<string, string>>,
  limits: XmlLimits | undefined,
): CompiledXPath {
  const xpathOptions = {
    language: evaluateXPath.XPATH_3_1_LANGUAGE,
    namespaceResolver: (prefix: string): string | null =>
      Object.hasOwn(namespaces, prefix) ? namespaces[prefix]! : null,
  };
  try {
    // Parsing reports syntax errors at compile time; fontoxpath caches the compiled form itself.
    parseScript(expression, { language: evaluateXPath.XPATH_3_1_LANGUAGE }, syntaxDocument);
  } catch (cause) {
    throw failure(expression, cause);
  }
  const run = <T>(
    input: XPathInput,
    variables: XPathVariables | undefined,
    returnType: number,
  ): { value: T; view: DomView } => {
    const view = domOf(input, limits);
    try {
      const value = evaluateXPath(
        expression,
        view.context,
        null,
        variables ?? null,
        returnType as never,
        xpathOptions,
      );
      return { value: value as T, view };
    } catch (cause) {
      throw failure(expression, cause);
    }
  };
  const evaluate = (input: XPathInput, variables?: XPathVariables): unknown => {
    const { value, view } = run<unknown>(input, variables, evaluateXPath.ANY_TYPE);
    return mapNodes(value, view);
  };
  return Object.assign(evaluate, {
    expression,
    string: (input: XPathInput, variables?: XPathVariables) =>
      run<string>(input, variables, evaluateXPath.STRING_TYPE).value,
    boolean: (input: XPathInput, variables?: XPathVariables) =>
      run<boolean>(input, variables, evaluateXPath.BOOLEAN_TYPE).value,
    number: (input: XPathInput, variables?: XPathVariables) =>
      run<number>(input, variables, evaluateXPath.NUMBER_TYPE).value,
    nodes: (input: XPathInput, variables?: XPathVariables) => {
      const { value, view } = run<slimdom.Node[]>(input, variables, evaluateXPath.NODES_TYPE);
      return value.map((node) => originalOf(node, view, expression));
    },
  });
}

function domOf(input: XPathInput, limits: XmlLimits | undefined): DomView {
  if (typeof input === 'string' || input instanceof Uint8Array) return toDom(parseXml(input, limits));
  let view = domCache.get(input);
  if (view === undefined) {
    view = toDom(input);
    domCache.set(input, view);
  }
  return view;
}

function originalOf(node: slimdom.Node, view: DomView, expression: string): XPathNode {
  const original = view.original.get(node);
  if (original === undefined) {
    throw failure(expression, new Error('the result has a node that is not part of the input document'));
  }
  return original;
}

function mapNodes(value: unknown, view: DomView): unknown {
  if (value instanceof slimdom.Node) return view.original.get(value) ?? value;
  if (Array.isArray(value)) return value.map((item) => mapNodes(item, view));
  return value;
}

/**
 * Evaluates an expression to a string, compiling it through the cache.
 *
 * @example
 * ```ts
 * evaluateXPathToString('/order/@id', '<order id="7"/>'); // '7'
 * ```
 */
export function evaluateXPathToString(
  expression: string,
  input: XPathInput,
  options?: XPathOptions & { readonly variables?: XPathVariables },
): string {
  return compileXPath(expression, options).string(input, options?.variables);
}

/**
 * Evaluates an expression to its effective boolean value.
 *
 * @example
 * ```ts
 * evaluateXPathToBoolean('count(//line) > 1', '<o><line/><line/></o>'); // true
 * ```
 */
export function evaluateXPathToBoolean(
  expression: string,
  input: XPathInput,
  options?: XPathOptions & { readonly variables?: XPathVariables },
): boolean {
  return compileXPath(expression, options).boolean(input, options?.variables);
}

/**
 * Evaluates an expression to a number.
 *
 * @example
 * ```ts
 * evaluateXPathToNumber('sum(//@price)', '<o><l price="2"/><l price="3"/></o>'); // 5
 * ```
 */
export function evaluateXPathToNumber(
  expression: string,
  input: XPathInput,
  options?: XPathOptions & { readonly variables?: XPathVariables },
): number {
  return compileXPath(expression, options).number(input, options?.variables);
}

/**
 * Evaluates an expression to the nodes it selects, as objects of the object form.
 *
 * @example
 * ```ts
 * const doc = parseXml('<o><line n="1"/><line n="2"/></o>');
 * evaluateXPathToNodes('//line', doc); // the two XmlElement objects of doc.root.children
 * ```
 */
export function evaluateXPathToNodes(
  expression: string,
  input: XPathInput,
  options?: XPathOptions & { readonly variables?: XPathVariables },
): XPathNode[] {
  return compileXPath(expression, options).nodes(input, options?.variables);
}
