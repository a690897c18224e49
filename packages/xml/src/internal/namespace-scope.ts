/**
 * Namespace bookkeeping for writing start tags, shared by {@link serializeXml} and the plain-mode JSON
 * writer: which prefixes are bound where, and the declarations an element must add to be well-formed.
 *
 * @module
 */

import { XML_NAMESPACE, XMLNS_NAMESPACE, type XmlAttribute } from '../xml-tree.js';
import { escapeAttribute, unserializable } from './xml-escape.js';

/** Prefix → namespace URI in force at an element (`''` is the default namespace). */
export type Scope = ReadonlyMap<string, string>;

/** The scope of a document's root: only `xml` is bound. */
export const INITIAL_SCOPE: Scope = new Map([['xml', XML_NAMESPACE]]);

/** What one start tag is building: the element's scope (copied on first change) and new declarations. */
export interface TagState {
  /** The element's attributes; its `xmlns` ones say which prefixes it declares itself. */
  readonly attributes: readonly XmlAttribute[];
  readonly parentScope: Scope;
  scope: Scope;
  /** Declarations to add, as written (`xmlns:p="urn:x"`). */
  readonly added: string[];
}

// Module functions rather than closures per element: this runs once per element of every document written.

/** Binds `prefix` in the element's scope, copying the parent's scope on the first change. */
export function bindPrefix(state: TagState, prefix: string, uri: string): void {
  if (state.scope === state.parentScope) state.scope = new Map(state.parentScope);
  (state.scope as Map<string, string>).set(prefix, uri);
}

/**
 * Makes sure `prefix` means `uri` at the element, declaring it when it does not yet.
 *
 * @throws {MediaryError} `MEDIARY_XML_UNSERIALIZABLE` when `xml`/`xmlns` would be rebound, or when the
 *   element already binds `prefix` to another namespace (`what` names the element or attribute).
 */
export function needPrefix(state: TagState, prefix: string, uri: string, what: string): void {
  if ((state.scope.get(prefix) ?? '') === uri) return;
  if (prefix === 'xml' || prefix === 'xmlns')
    throw unserializable(`${what} cannot rebind prefix "${prefix}"`);
  const declaredHere = state.attributes.some(
    (a) => a.namespace === XMLNS_NAMESPACE && (a.name === 'xmlns' ? '' : a.localName) === prefix,
  );
  if (declaredHere || state.added.some((d) => d.startsWith(prefix === '' ? 'xmlns=' : `xmlns:${prefix}=`))) {
    throw unserializable(`${what} needs prefix "${prefix}" bound to "${uri}", but it is bound otherwise`);
  }
  bindPrefix(state, prefix, uri);
  state.added.push(`${prefix === '' ? 'xmlns' : `xmlns:${prefix}`}="${escapeAttribute(uri, 'xmlns')}"`);
}
