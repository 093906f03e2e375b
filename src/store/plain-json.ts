/**
 * A value as plain JSON for the DynamoDB document client, which refuses `undefined` anywhere inside a value
 * (optional fields left unset): a JSON round trip drops them.
 */
export function plainJson<T>(value: T): T {
  return JSON.parse(JSON.stringify(value)) as T;
}
