/** Plain JSON values, as in run-start `options`. Numbers are finite: JSON has no NaN. */
export type JsonPrimitive = string | number | boolean | null;
export type JsonValue = JsonPrimitive | JsonValue[] | JsonObject;
export interface JsonObject {
  [key: string]: JsonValue;
}
