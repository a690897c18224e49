import { describe, expect, it } from 'vitest';
import { filterProblem, matchingFilter, topicMatches, topicProblem } from './topic-filter.js';

describe('topic filters', () => {
  it.each([
    ['sensors/+/temp', 'sensors/a/temp', true],
    ['sensors/+/temp', 'sensors/a/b/temp', false],
    ['sensors/#', 'sensors', true],
    ['sensors/#', 'sensors/a/b', true],
    ['#', 'anything/at/all', true],
    ['+', 'one', true],
    ['+', 'one/two', false],
    ['a/b', 'a/b', true],
    ['a/b', 'a/c', false],
    ['+/+', '/x', true],
    ['#', '$SYS/broker/uptime', false],
    ['+/broker', '$SYS/broker', false],
    ['$SYS/#', '$SYS/broker/uptime', true],
    ['$share/workers/jobs/+', 'jobs/a', true],
  ])('matches filter %s against topic %s: %s', (filter, topic, expected) => {
    expect(topicMatches(filter, topic)).toBe(expected);
  });

  it('strips the shared-subscription prefix to get the matching filter', () => {
    expect(matchingFilter('$share/g1/orders/#')).toBe('orders/#');
    expect(matchingFilter('orders/#')).toBe('orders/#');
  });

  it.each([
    ['a/#/b', '# must be a whole level and the last one'],
    ['a/b#', '# must be a whole level and the last one'],
    ['a/b+/c', '+ must be a whole level'],
    ['', 'the filter is empty'],
    ['$share/g', 'a shared subscription needs $share/<group>/<filter>'],
    ['$share/g+/a', 'a share group name cannot contain + or #'],
  ])('rejects the filter %j', (filter, problem) => {
    expect(filterProblem(filter)).toBe(problem);
  });

  it('accepts valid filters', () => {
    for (const filter of ['a', 'a/+/c', 'a/#', '#', '$share/g/a/+'])
      expect(filterProblem(filter)).toBeUndefined();
  });

  it('refuses to publish to a topic with wildcards', () => {
    expect(topicProblem('a/+')).toBe('a published topic cannot contain wildcards');
    expect(topicProblem('a/b')).toBeUndefined();
  });
});
