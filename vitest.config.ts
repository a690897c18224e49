import { existsSync, readdirSync } from 'node:fs';
import { defineConfig } from 'vitest/config';

/** One vitest project per workspace folder that has tests; all of them run on sibling packages' source. */
const folders = ['packages', 'examples']
  .flatMap((group) =>
    readdirSync(group, { withFileTypes: true })
      .filter((d) => d.isDirectory())
      .map((d) => `${group}/${d.name}`),
  )
  .concat(existsSync('test') ? ['test'] : []);

export default defineConfig({
  ssr: { resolve: { conditions: ['@mediary/source'] } },
  test: {
    projects: folders.map((root) => ({
      extends: true,
      test: {
        name: root.split('/').pop() ?? root,
        root,
        include: ['src/**/*.test.ts', 'test/**/*.test.ts', '*.test.ts'],
        testTimeout: 30_000,
        hookTimeout: 30_000,
      },
    })),
  },
});
