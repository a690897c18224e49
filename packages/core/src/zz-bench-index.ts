export * from './eip/index.js';
export * from './index.js';
export * from './store/index.js';
