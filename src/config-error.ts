/**
 * A missing or malformed setting. The message names the key and what was expected. In a module of its own so the
 * CLI can recognise it without loading the schemas.
 */
export class ConfigError extends Error {
  override name = 'ConfigError';
}
