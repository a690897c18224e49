import { describe, expect, it } from 'vitest';
import { bodyKind, mediaType } from './content-type.js';

describe('content types', () => {
  it('strip parameters and lower-case the media type', () => {
    expect(mediaType('Application/JSON; charset=UTF-8')).toBe('application/json');
    expect(mediaType(undefined)).toBeUndefined();
    expect(mediaType('')).toBeUndefined();
  });

  it('classify bodies as json, xml, form, text or binary', () => {
    expect(
      [
        'application/json',
        'application/problem+json; charset=utf-8',
        'application/xml',
        'text/xml',
        'application/soap+xml',
        'application/x-www-form-urlencoded',
        'text/plain',
        'text/csv',
        'application/octet-stream',
        'image/png',
        undefined,
      ].map(bodyKind),
    ).toEqual(['json', 'json', 'xml', 'xml', 'xml', 'form', 'text', 'text', 'binary', 'binary', 'binary']);
  });
});
