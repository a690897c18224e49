/**
 * XPath as a Mediary expression: a function of the context, evaluated over the body's cached XML view, so
 * it fits every place core takes an `Expr` — `filter`, `choice({ on })`, `setVar`, `enrich({ from })`,
 * `callTemplate` arguments, `setHeader`, `log` fields.
 *
 * @module
 */
import type { Expr, MessageContext } from '@mediary/core';
import type { XPathNode } from '../internal/to-dom.js';
import { textContent, type XmlDocument } from '../xml-tree.js';
import { type CompiledXPath, compileXPath, type XPathVariables } from '../xpath.js';
import { readXml } from './xml-view.js';

/** Options of {@link xpath}. */
export interface XPathExprOptions {
  /** Prefixes the expression uses, e.g. `{ h: 'urn:mediary:healthcare' }`. */
  readonly namespaces?: Readonly<Record<string, string>>;
  /**
   * The values bound as `$name`. Default: the message's variables whose values are strings, numbers or
   * booleans (so `$hospitalId` reads `ctx.vars.hospitalId`).
   */
  readonly variables?: Expr<XPathVariables>;
}

/** An XPath expression usable as a core `Expr`; `source` is the expression text. */
export interface XPathExpr<T> extends Expr<T> {
  readonly source: string;
}

/** {@link xpath} and its typed variants. */
export interface XPathFactory {
  /**
   * The result simplified for routing: an empty sequence is `undefined`, a node is its string value, one
   * item is that item, several are an array. For a predicate, use {@link XPathFactory.boolean}: XPath's
   * effective boolean value says a selected `<urgent/>` is true, while its string value `''` is falsy.
   */
  (expression: string, options?: XPathExprOptions): XPathExpr<unknown>;
  /** The string value (`''` for an empty sequence). */
  string(expression: string, options?: XPathExprOptions): XPathExpr<string>;
  /** The number value (`NaN` when it is not one). */
  number(expression: string, options?: XPathExprOptions): XPathExpr<number>;
  /** The effective boolean value: what `filter` wants. */
  boolean(expression: string, options?: XPathExprOptions): XPathExpr<boolean>;
  /** The selected nodes, as objects of the body's parsed tree (read-only: clones share it). */
  nodes(expression: string, options?: XPathExprOptions): XPathExpr<XPathNode[]>;
}

type Evaluate<T> = (compiled: CompiledXPath, input: XmlDocument, variables: XPathVariables | undefined) => T;

function build<T>(expression: string, options: XPathExprOptions, evaluate: Evaluate<T>): XPathExpr<T> {
  // Compiled here, at route definition: a syntax error fails at startup, not on the first message.
  const compiled = compileXPath(expression, options.namespaces ? { namespaces: options.namespaces } : {});
  const bindsVariables = options.variables !== undefined || expression.includes('$');
  const expr = async (ctx: MessageContext): Promise<T> => {
    const document = await readXml(ctx.message);
    const variables = bindsVariables ? await variablesOf(ctx, options) : undefined;
    return evaluate(compiled, document, variables);
  };
  return Object.assign(expr, { source: expression });
}

async function variablesOf(ctx: MessageContext, options: XPathExprOptions): Promise<XPathVariables> {
  if (options.variables) return options.variables(ctx);
  const variables: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(ctx.vars)) {
    if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') {
      variables[name] = value;
    }
  }
  return variables;
}

function isNode(value: unknown): value is XPathNode {
  return typeof value === 'object' && value !== null && 'type' in value;
}

function simplifyItem(item: unknown): unknown {
  if (!isNode(item)) return item;
  if (item.type === 'attribute' || item.type === 'comment') return item.value;
  if (item.type === 'pi') return item.data;
  return textContent(item);
}

function simplify(value: unknown): unknown {
  if (value === null || value === undefined) return undefined;
  if (!Array.isArray(value)) return simplifyItem(value);
  if (value.length === 0) return undefined;
  return value.length === 1 ? simplifyItem(value[0]) : value.map(simplifyItem);
}

/**
 * An XPath 3.1 expression over the message body (parsed once per body and cached), as a core expression.
 * The expression is compiled when the route is defined; evaluation errors are `MEDIARY_XML_XPATH_FAILED`
 * with the expression in the message; a body that is not XML fails with the parse error.
 *
 * @example
 * ```ts
 * const ns = { namespaces: { h: 'urn:mediary:healthcare' } };
 * filter(xpath.boolean('/h:order/h:total > 100', ns), { match: [call('approvals')] })
 * choice({ on: xpath('/h:order/h:type', ns), cases: [{ equals: 'express', steps: [call('fast')] }] })
 * setVar('orderId', xpath.string('/h:order/@id', ns))
 * enrich({ from: xpath.number('sum(//h:line/@price)', ns), to: { var: 'total' } })
 * ```
 */
export const xpath: XPathFactory = Object.assign(
  (expression: string, options: XPathExprOptions = {}): XPathExpr<unknown> =>
    build(expression, options, (compiled, input, variables) => simplify(compiled(input, variables))),
  {
    string: (expression: string, options: XPathExprOptions = {}): XPathExpr<string> =>
      build(expression, options, (compiled, input, variables) => compiled.string(input, variables)),
    number: (expression: string, options: XPathExprOptions = {}): XPathExpr<number> =>
      build(expression, options, (compiled, input, variables) => compiled.number(input, variables)),
    boolean: (expression: string, options: XPathExprOptions = {}): XPathExpr<boolean> =>
      build(expression, options, (compiled, input, variables) => compiled.boolean(input, variables)),
    nodes: (expression: string, options: XPathExprOptions = {}): XPathExpr<XPathNode[]> =>
      build(expression, options, (compiled, input, variables) => compiled.nodes(input, variables)),
  },
);
