/**
 * The payload factory (WSO2's payloadFactory): builds a new body from a template.
 *
 * JSON templates are JSON text with `${…}` placeholders. A placeholder **outside** a string literal inserts
 * its value as JSON — objects and arrays stay objects and arrays, `undefined` becomes `null`; a placeholder
 * **inside** a string literal inserts the value's text, escaped for JSON (quotes, backslashes, newlines,
 * control characters). Either way the output always parses. Object templates do the same in TypeScript: a
 * string leaf that is exactly one placeholder takes the value as it is; other strings are interpolated.
 *
 * @module
 */
import type { MessageContext, Vars } from '../context.js';
import { coreErrors } from '../errors.js';
import { type Expr, jsonata, parseTemplate } from '../expression.js';
import { defineMediator, type Mediator } from '../mediator.js';

export type PayloadFormat = 'json' | 'text' | 'xml';

export interface PayloadOptions {
  /** Default: `json` for object templates and string templates that start with `{` or `[`, else `text`. */
  readonly format?: PayloadFormat;
  readonly contentType?: string;
}

type Renderer = (ctx: MessageContext) => Promise<string>;

/**
 * Replaces the body with a rendered template.
 *
 * @example
 * payload('{"patient": ${payload.patient}, "note": "for ${payload.patient.name}"}')
 * payload({ appointment: '${payload.appointmentNumber}', doctor: '${vars.doctor}' })
 * payload('<ack><id>${vars.id}</id></ack>', { format: 'xml' })
 */
export function payload<V extends Vars = Vars>(
  template: string | object,
  options: PayloadOptions = {},
): Mediator<V> {
  if (typeof template !== 'string') {
    const build = compileObjectTemplate(template);
    return defineMediator<V>('payload', async (ctx) => {
      ctx.message.setJson(await build(ctx as unknown as MessageContext), options.contentType);
    });
  }
  const format = options.format ?? (/^\s*[[{]/.test(template) ? 'json' : 'text');
  const render = compileTextTemplate(template, format);
  const contentType = options.contentType ?? CONTENT_TYPES[format];
  return defineMediator<V>('payload', async (ctx) => {
    const text = await render(ctx as unknown as MessageContext);
    if (format === 'json') {
      try {
        ctx.message.setJson(JSON.parse(text), contentType);
      } catch (error) {
        throw coreErrors.EXPR_EVAL(
          { expression: template, reason: 'the template does not render JSON' },
          { cause: error },
        );
      }
    } else {
      ctx.message.setText(text, contentType);
    }
  });
}

const CONTENT_TYPES: Record<PayloadFormat, string> = {
  json: 'application/json',
  text: 'text/plain; charset=utf-8',
  xml: 'application/xml; charset=utf-8',
};

/** Compiles a text template for a format; exported for the property tests. */
export function compileTextTemplate(template: string, format: PayloadFormat): Renderer {
  const parts = parseTemplate(template);
  let inString = false;
  const pieces: Array<string | { expr: Expr<unknown>; quoted: boolean }> = [];
  for (const part of parts) {
    if (typeof part === 'string') {
      pieces.push(part);
      if (format === 'json') inString = endsInsideString(part, inString);
    } else {
      pieces.push({ expr: jsonata(part.expression), quoted: inString });
    }
  }
  return async (ctx) => {
    let out = '';
    for (const piece of pieces) {
      if (typeof piece === 'string') out += piece;
      else out += insert(await piece.expr(ctx), format, piece.quoted);
    }
    return out;
  };
}

function insert(value: unknown, format: PayloadFormat, quoted: boolean): string {
  if (format === 'json') {
    if (quoted)
      return JSON.stringify(typeof value === 'string' ? value : (JSON.stringify(value) ?? '')).slice(1, -1);
    return JSON.stringify(value) ?? 'null';
  }
  const text = value === undefined ? '' : typeof value === 'string' ? value : JSON.stringify(value);
  return format === 'xml' ? escapeXml(text) : text;
}

/** Tracks whether a JSON text fragment leaves us inside a string literal. */
function endsInsideString(fragment: string, inString: boolean): boolean {
  let inside = inString;
  for (let i = 0; i < fragment.length; i++) {
    const c = fragment[i];
    if (inside && c === '\\') i++;
    else if (c === '"') inside = !inside;
  }
  return inside;
}

function escapeXml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => XML_ESCAPES[c]!);
}

const XML_ESCAPES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&apos;',
};

const WHOLE_PLACEHOLDER = /^\$\{([\s\S]*)\}$/;

function compileObjectTemplate(template: unknown): Expr<unknown> {
  if (typeof template === 'string') {
    const whole = WHOLE_PLACEHOLDER.exec(template);
    const parts = parseTemplate(template);
    if (whole && parts.length === 1 && typeof parts[0] !== 'string') return jsonata(parts[0]!.expression);
    const render = compileTextTemplate(template, 'text');
    return render;
  }
  if (Array.isArray(template)) {
    const items = template.map(compileObjectTemplate);
    return async (ctx) => Promise.all(items.map((item) => item(ctx)));
  }
  if (template !== null && typeof template === 'object') {
    const entries = Object.entries(template).map(([k, v]) => [k, compileObjectTemplate(v)] as const);
    return async (ctx) => {
      const out: Record<string, unknown> = {};
      for (const [key, build] of entries) {
        const value = await build(ctx);
        if (value !== undefined) out[key] = value;
      }
      return out;
    };
  }
  return async () => template;
}
