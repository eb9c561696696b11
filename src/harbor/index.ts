export * from './errors.js';
export * from './client.js';
export * from './api.js';
export * from './registry.js';
export * from './schemas.js';
export { encodeRepositoryName, fillTemplate, nextLink } from './paths.js';
