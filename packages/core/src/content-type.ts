/**
 * Content-type classification: which view of a body (`json`, `text`, `xml`, `form`, `binary`) a media type
 * calls for. Parameters (`; charset=…`) are ignored here; text decoding is UTF-8.
 *
 * @module
 */

/** The families of bodies Mediary distinguishes. */
export type BodyKind = 'json' | 'xml' | 'text' | 'form' | 'binary';

/** The media type without parameters, lower-cased (`application/json; charset=utf-8` → `application/json`). */
export function mediaType(contentType: string | undefined): string | undefined {
  if (!contentType) return undefined;
  const semicolon = contentType.indexOf(';');
  return (semicolon === -1 ? contentType : contentType.slice(0, semicolon)).trim().toLowerCase();
}

/**
 * Classifies a content type.
 *
 * @example
 * bodyKind('application/problem+json') // 'json'
 * bodyKind('text/xml; charset=utf-8')  // 'xml'
 */
export function bodyKind(contentType: string | undefined): BodyKind {
  const type = mediaType(contentType);
  if (!type) return 'binary';
  if (type === 'application/json' || type.endsWith('+json')) return 'json';
  if (type === 'application/xml' || type === 'text/xml' || type.endsWith('+xml')) return 'xml';
  if (type === 'application/x-www-form-urlencoded') return 'form';
  if (type.startsWith('text/')) return 'text';
  return 'binary';
}

export const JSON_TYPE = 'application/json';
export const TEXT_TYPE = 'text/plain; charset=utf-8';
export const BINARY_TYPE = 'application/octet-stream';
