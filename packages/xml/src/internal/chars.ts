/** Character classes of XML 1.0 (fifth edition) and Namespaces in XML 1.0, as regular expressions. */

const nameStart =
  'A-Z_a-z\\u00C0-\\u00D6\\u00D8-\\u00F6\\u00F8-\\u02FF\\u0370-\\u037D\\u037F-\\u1FFF\\u200C-\\u200D' +
  '\\u2070-\\u218F\\u2C00-\\u2FEF\\u3001-\\uD7FF\\uF900-\\uFDCF\\uFDF0-\\uFFFD\\u{10000}-\\u{EFFFF}';
const nameRest = `${nameStart}\\-.0-9\\u00B7\\u0300-\\u036F\\u203F-\\u2040`;

/** A Name (colons allowed, the namespace check comes after), matched at `lastIndex`. */
export const NAME_STICKY = new RegExp(`[:${nameStart}][:${nameRest}]*`, 'uy');
/** A whole NCName: a name without colons, as used for prefixes and local names. */
export const NCNAME = new RegExp(`^[${nameStart}][${nameRest}]*$`, 'u');
/** One character allowed at the start of an NCName. */
export const NCNAME_START_CHAR = new RegExp(`^[${nameStart}]$`, 'u');
/** One character allowed after the start of an NCName. */
export const NCNAME_CHAR = new RegExp(`^[${nameRest}]$`, 'u');

/**
 * A character that XML 1.0 does not allow anywhere, not even as a character reference: most C0
 * controls, U+FFFE, U+FFFF and unpaired surrogates (the `u` flag makes a lone surrogate one code point).
 */
export const INVALID_CHAR = /[^\t\n\r\u0020-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/u;

/** Whether `codePoint` is a Char of XML 1.0. */
export function isXmlChar(codePoint: number): boolean {
  return (
    codePoint === 0x9 ||
    codePoint === 0xa ||
    codePoint === 0xd ||
    (codePoint >= 0x20 && codePoint <= 0xd7ff) ||
    (codePoint >= 0xe000 && codePoint <= 0xfffd) ||
    (codePoint >= 0x10000 && codePoint <= 0x10ffff)
  );
}

/** ASCII QNames, the usual case, checked without the Unicode classes. */
const ASCII_QNAME = /^[A-Za-z_][\w.-]*(?::[A-Za-z_][\w.-]*)?$/;

/** Whether `name` is a QName: one NCName, or two joined by one colon. */
export function isQName(name: string): boolean {
  if (ASCII_QNAME.test(name)) return true;
  const colon = name.indexOf(':');
  if (colon === -1) return NCNAME.test(name);
  return NCNAME.test(name.slice(0, colon)) && NCNAME.test(name.slice(colon + 1));
}

/** `U+0001`-style label of the first code point of `text`, for error messages. */
export function describeChar(text: string): string {
  const codePoint = text.codePointAt(0) ?? 0;
  return `U+${codePoint.toString(16).toUpperCase().padStart(4, '0')}`;
}
