/** Shapes of the generated operation table (see generated/operations.ts). */

export type InputLocation = "path" | "query" | "header" | "attribute" | "meta" | "form" | "body";
export type BodyKind = "none" | "jsonapi" | "json" | "multipart" | "form";
export type ResultKind = "none" | "resource" | "page" | "data" | "json";

/** A value's format when a Date is given: a calendar date (YYYY-MM-DD) instead of a date-time. */
export type DateFormat = "date";

/**
 * camelCase key -> its wire name, or [wire name, map of the keys below it (or null), format];
 * "[]" maps array items.
 */
export interface KeyMap {
  [camel: string]: string | [string, KeyMap | null] | [string, KeyMap | null, DateFormat];
}

/** An input: where it goes, its name on the wire, the wire names of its nested keys, its format. */
export type InputSpec =
  | [InputLocation, string]
  | [InputLocation, string, KeyMap | null]
  | [InputLocation, string, KeyMap | null, DateFormat];

export interface Operation {
  method: string;
  /** Relative to the REST base URL, with {placeholders}. */
  path: string;
  /** camelCase input name -> where it goes. */
  inputs: Record<string, InputSpec>;
  body: BodyKind;
  mediaType: string | null;
  /** `data.type` of a JSON:API request body. */
  resourceType: string | null;
  result: ResultKind;
}
