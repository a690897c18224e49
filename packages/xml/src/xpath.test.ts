import { describe, expect, it } from 'vitest';
import { xmlErrors } from './errors.js';
import { parseXml } from './parse-xml.js';
import {
  compileXPath,
  evaluateXPathToBoolean,
  evaluateXPathToNodes,
  evaluateXPathToNumber,
  evaluateXPathToString,
} from './xpath.js';

const order =
  '<o:order xmlns:o="urn:shop" id="7"><o:line price="2">pen</o:line><o:line price="3">ink</o:line><!--c--></o:order>';
const namespaces = { s: 'urn:shop' };

function errorOf(run: () => unknown): unknown {
  try {
    run();
  } catch (error) {
    return error;
  }
  throw new Error('expected a throw');
}

describe('XPath', () => {
  it('evaluates to strings, booleans, numbers and nodes with the caller’s prefixes', () => {
    expect(evaluateXPathToString('/s:order/s:line[2]', order, { namespaces })).toBe('ink');
    expect(evaluateXPathToString('/s:order/@id', order, { namespaces })).toBe('7');
    expect(evaluateXPathToBoolean('count(//s:line) = 2', order, { namespaces })).toBe(true);
    expect(evaluateXPathToNumber('sum(//s:line/@price)', order, { namespaces })).toBe(5);
    expect(evaluateXPathToNumber('//missing', order)).toBeNaN();
  });

  it('returns the very nodes of a parsed document, attributes included', () => {
    const doc = parseXml(order);
    const lines = evaluateXPathToNodes('//s:line', doc, { namespaces });
    expect(lines).toEqual(doc.root.children.slice(0, 2));
    expect(lines[0]).toBe(doc.root.children[0]);
    const [price] = evaluateXPathToNodes('//s:line[1]/@price', doc, { namespaces });
    expect(price).toBe((doc.root.children[0] as { attributes: readonly unknown[] }).attributes[0]);
    expect(evaluateXPathToNodes('/', doc)).toEqual([doc]);
  });

  it('uses an element input as the context item', () => {
    const doc = parseXml(order);
    const line = doc.root.children[1];
    if (line?.type !== 'element') throw new Error('fixture');
    expect(compileXPath('string(@price)')(line)).toBe('3');
  });

  it('binds variables and returns XPath maps and arrays as JavaScript values', () => {
    const xpath = compileXPath('map { "n": $n + 1, "a": array { 1, 2 } }');
    expect(xpath('<r/>', { n: 1 })).toEqual({ n: 2, a: [1, 2] });
  });

  it('caches compiled expressions per expression and namespaces', () => {
    expect(compileXPath('//s:line', { namespaces })).toBe(
      compileXPath('//s:line', { namespaces: { s: 'urn:shop' } }),
    );
    expect(compileXPath('//s:line', { namespaces })).not.toBe(
      compileXPath('//s:line', { namespaces: { s: 'urn:x' } }),
    );
  });

  it('reports a syntax error at compile time, naming the expression', () => {
    const error = errorOf(() => compileXPath('/a/[', {}));
    expect(xmlErrors.XPATH_FAILED.is(error)).toBe(true);
    expect((error as Error).message).toContain('XPath "/a/["');
    expect((error as { details: unknown }).details).toMatchObject({ expression: '/a/[' });
  });

  it('reports an unknown prefix and a runtime error as MEDIARY_XML_XPATH_FAILED', () => {
    expect(xmlErrors.XPATH_FAILED.is(errorOf(() => evaluateXPathToString('//p:x', '<r/>')))).toBe(true);
    expect(xmlErrors.XPATH_FAILED.is(errorOf(() => evaluateXPathToString('fn:error()', '<r/>')))).toBe(true);
  });

  it('cannot read files or the environment', () => {
    for (const expression of [
      'doc("file:///etc/passwd")',
      'unparsed-text("/etc/passwd")',
      'environment-variable("HOME")',
    ]) {
      const error = errorOf(() => evaluateXPathToString(expression, '<r/>'));
      expect(xmlErrors.XPATH_FAILED.is(error)).toBe(true);
      expect((error as Error).message).not.toContain('root:');
    }
  });

  it('parses text input safely before building a DOM', () => {
    const xxe = '<!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]><r>&x;</r>';
    expect(xmlErrors.DOCTYPE_FORBIDDEN.is(errorOf(() => evaluateXPathToString('/r', xxe)))).toBe(true);
    const deep = `${'<a>'.repeat(5)}${'</a>'.repeat(5)}`;
    const limits = { maxDepth: 4 };
    expect(xmlErrors.TOO_DEEP.is(errorOf(() => compileXPath('/a', { limits })(deep)))).toBe(true);
  });
});
