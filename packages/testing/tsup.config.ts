import { defineConfig } from 'tsup';

export default defineConfig({
  entry: ['src/index.ts', 'src/conformance/index.ts'],
  format: ['esm'],
  target: 'node20',
  sourcemap: true,
  external: ['vitest'],
});
