/**
 * MQTT topic filters: wildcard matching (`+` one level, `#` the rest) and shared subscriptions
 * (`$share/<group>/<filter>`), checked here so a bad filter fails at configuration time, not at the broker.
 *
 * @module
 */

const SHARE_PREFIX = '$share/';

/** The filter a message's topic is matched against: a shared subscription's filter without its prefix. */
export function matchingFilter(filter: string): string {
  if (!filter.startsWith(SHARE_PREFIX)) return filter;
  const rest = filter.slice(SHARE_PREFIX.length);
  const slash = rest.indexOf('/');
  return slash < 0 ? '' : rest.slice(slash + 1);
}

/** Why a subscription filter is invalid, or `undefined` when it is valid. */
export function filterProblem(filter: string): string | undefined {
  if (filter.startsWith(SHARE_PREFIX)) {
    const rest = filter.slice(SHARE_PREFIX.length);
    const slash = rest.indexOf('/');
    if (slash <= 0) return 'a shared subscription needs $share/<group>/<filter>';
    const group = rest.slice(0, slash);
    if (/[+#]/.test(group)) return 'a share group name cannot contain + or #';
  }
  const plain = matchingFilter(filter);
  if (plain === '') return 'the filter is empty';
  if (plain.includes('\u0000')) return 'the filter contains a NUL character';
  const levels = plain.split('/');
  for (let i = 0; i < levels.length; i++) {
    const level = levels[i]!;
    if (level.includes('#') && (level !== '#' || i !== levels.length - 1)) {
      return '# must be a whole level and the last one';
    }
    if (level.includes('+') && level !== '+') return '+ must be a whole level';
  }
  return undefined;
}

/** Why a topic cannot be published to, or `undefined` when it can. */
export function topicProblem(topic: string): string | undefined {
  if (topic === '') return 'the topic is empty';
  if (/[+#]/.test(topic)) return 'a published topic cannot contain wildcards';
  if (topic.includes('\u0000')) return 'the topic contains a NUL character';
  return undefined;
}

/**
 * True when `topic` matches `filter`. Topics starting with `$` (`$SYS/…`) are not matched by a filter that
 * starts with a wildcard, as the MQTT specification requires.
 */
export function topicMatches(filter: string, topic: string): boolean {
  const f = matchingFilter(filter).split('/');
  const t = topic.split('/');
  if (topic.startsWith('$') && (f[0] === '+' || f[0] === '#')) return false;
  for (let i = 0; i < f.length; i++) {
    const level = f[i]!;
    if (level === '#') return true;
    if (i >= t.length) return false;
    if (level !== '+' && level !== t[i]) return false;
  }
  return f.length === t.length;
}
