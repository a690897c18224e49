/**
 * The RFC 6570 subset Mediary's HTTP resources use, compiled to find-my-way paths:
 *
 * - `{var}` — one path segment (or part of one: `/files/{name}.json`), percent-decoded;
 * - `{+var}` — the rest of the path, reserved characters (`/`) included; only at the end;
 * - `{?q,page}` (and `{&more}`) — query variables, exposed as params too; only after the path.
 *
 * Anything else (`{#x}`, `{.x}`, `{/x}`, `{;x}`, modifiers like `{var*}` or `{var:3}`) is refused when the
 * API is declared, not when a request arrives.
 *
 * @module
 */
import { httpErrors } from '../../errors.js';

/** A template ready for the router. */
export interface CompiledTemplate {
  /** The template as written (with the API context in front). */
  readonly template: string;
  /** The find-my-way path (`/categories/:category/reserve`, `/files/*`). */
  readonly routePath: string;
  /** Names of the `{var}` path variables, in order. */
  readonly pathVars: readonly string[];
  /** The `{+var}` that takes the rest of the path, if any. */
  readonly rest: string | undefined;
  /** Query variables from `{?…}` / `{&…}`. */
  readonly queryVars: readonly string[];
}

const NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/**
 * Compiles a URI template (already joined with its API context).
 *
 * @example
 * compileTemplate('/healthcare/categories/{category}/reserve').routePath // '/healthcare/categories/:category/reserve'
 */
export function compileTemplate(template: string): CompiledTemplate {
  const invalid = (reason: string) =>
    httpErrors.INVALID_CONFIG({ reason: `URI template ${template}: ${reason}` });
  if (!template.startsWith('/')) throw invalid('must start with /');
  let routePath = '';
  const pathVars: string[] = [];
  const queryVars: string[] = [];
  let rest: string | undefined;
  let inQuery = false;
  let previousWasVar = false;
  let i = 0;
  while (i < template.length) {
    const open = template.indexOf('{', i);
    const literal = template.slice(i, open === -1 ? template.length : open);
    if (literal.length > 0) {
      if (inQuery || rest !== undefined) throw invalid('nothing may follow {+var} or {?…} but {?…}/{&…}');
      if (/[}?#*\s]/.test(literal))
        throw invalid(`the literal ${JSON.stringify(literal)} has a reserved character`);
      // find-my-way reads ':' as a parameter; '::' is its escape for a literal colon.
      routePath += literal.replaceAll(':', '::');
      previousWasVar = false;
    }
    if (open === -1) break;
    const close = template.indexOf('}', open);
    if (close === -1) throw invalid('an expression is not closed');
    const expression = template.slice(open + 1, close);
    const operator = expression[0] ?? '';
    const names = (/^[+?&]/.test(operator) ? expression.slice(1) : expression).split(',');
    for (const name of names) {
      if (!NAME.test(name)) throw invalid(`${JSON.stringify(name)} is not a supported variable`);
    }
    if (operator === '?' || operator === '&') {
      if (operator === '&' && !inQuery) throw invalid('{&…} must follow {?…}');
      if (operator === '?' && inQuery) throw invalid('only one {?…} is allowed');
      inQuery = true;
      queryVars.push(...names);
    } else {
      if (inQuery || rest !== undefined) throw invalid('path variables must come before {+var} and {?…}');
      if (names.length !== 1) throw invalid('a path expression holds one variable');
      if (previousWasVar) throw invalid('two variables need a literal between them');
      const name = names[0]!;
      if (operator === '+') {
        if (!routePath.endsWith('/')) throw invalid('{+var} must start a segment');
        rest = name;
        routePath += '*';
      } else {
        pathVars.push(name);
        routePath += `:${name}`;
      }
      previousWasVar = true;
    }
    i = close + 1;
  }
  const all = [...pathVars, ...(rest === undefined ? [] : [rest]), ...queryVars];
  if (new Set(all).size !== all.length) throw invalid('a variable is used twice');
  return Object.freeze({
    template,
    routePath: routePath === '' ? '/' : routePath,
    pathVars: Object.freeze(pathVars),
    rest,
    queryVars: Object.freeze(queryVars),
  });
}

/**
 * Joins an API context and a resource path (`/healthcare` + `/categories/{c}` → `/healthcare/categories/{c}`;
 * a path that is only a query template attaches to the context itself).
 */
export function joinPath(context: string, path: string): string {
  const base = context === '/' ? '' : context.replace(/\/+$/, '');
  if (path === '' || path === '/') return base === '' ? '/' : base;
  if (path.startsWith('{?')) return `${base === '' ? '/' : base}${path}`;
  return `${base}${path.startsWith('/') ? path : `/${path}`}`;
}
