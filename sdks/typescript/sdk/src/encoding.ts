/**
 * Turn a method's camelCase inputs into a request, and an answer into what the caller gets.
 * The operation table says where each input goes and the wire (snake_case) name of every
 * key, nested objects included; Dates become RFC 3339 strings in UTC.
 */

import { KlearKarmaError } from "./errors.js";
import type { DateFormat, KeyMap, Operation } from "./types.js";

export interface RequestParts {
  method: string;
  path: string;
  query: Array<[string, string]>;
  headers: Record<string, string>;
  body?: string | FormData | URLSearchParams;
}

export function dateTime(value: Date): string {
  return value.toISOString().replace(/\.000Z$/, "Z");
}

/** `value` with wire names for the keys `map` knows, and Dates as strings. */
export function toWire(value: unknown, map?: KeyMap | null, format?: DateFormat): unknown {
  if (value instanceof Date) return format === "date" ? dateTime(value).slice(0, 10) : dateTime(value);
  if (Array.isArray(value)) {
    const inner = map?.["[]"];
    return value.map((v) => (Array.isArray(inner) ? toWire(v, inner[1], inner[2]) : toWire(v)));
  }
  if (value && typeof value === "object" && !(value instanceof Blob)) {
    const out: Record<string, unknown> = {};
    for (const [key, v] of Object.entries(value)) {
      if (v === undefined) continue;
      const entry = map?.[key];
      if (Array.isArray(entry)) out[entry[0]] = toWire(v, entry[1], entry[2]);
      else out[entry ?? key] = toWire(v);
    }
    return out;
  }
  return value;
}

function text(value: unknown, format?: DateFormat): string {
  if (value instanceof Date) return format === "date" ? dateTime(value).slice(0, 10) : dateTime(value);
  return String(value);
}

function byWire(op: Operation): Map<string, string> {
  const out = new Map<string, string>();
  for (const [name, spec] of Object.entries(op.inputs)) out.set(spec[1], name);
  return out;
}

/** The request of one call; undefined inputs are not sent. Snake_case names work too. */
export function buildRequest(op: Operation, inputs: Record<string, unknown>): RequestParts {
  const parts: RequestParts = { method: op.method, path: op.path, query: [], headers: {} };
  const attributes: Record<string, unknown> = {};
  const form: Array<[string, unknown]> = [];
  let meta: unknown;
  let body: unknown;
  let wire: Map<string, string> | undefined;
  for (const [given, value] of Object.entries(inputs)) {
    if (value === undefined) continue;
    let spec = op.inputs[given];
    if (!spec) {
      wire ??= byWire(op);
      const name = wire.get(given);
      spec = name === undefined ? undefined : op.inputs[name];
    }
    if (!spec) throw new KlearKarmaError(`unknown input ${JSON.stringify(given)}`);
    const [where, name, map, format] = spec;
    if (where === "path") {
      parts.path = parts.path.replace(`{${name}}`, encodeURIComponent(text(value, format)));
    } else if (where === "query") {
      for (const v of Array.isArray(value) ? value : [value]) parts.query.push([name, text(v, format)]);
    } else if (where === "header") {
      parts.headers[name] = text(value, format);
    } else if (where === "attribute") {
      attributes[name] = toWire(value, map, format);
    } else if (where === "meta") {
      meta = toWire(value, map, format);
    } else if (where === "form") {
      form.push([name, value instanceof Date ? text(value, format) : value]);
    } else {
      body = toWire(value, map, format);
    }
  }
  if (op.body === "jsonapi") {
    const data = op.resourceType === null ? { attributes } : { type: op.resourceType, attributes };
    parts.body = JSON.stringify(meta === undefined ? { data } : { data, meta });
    parts.headers["Content-Type"] = op.mediaType ?? "application/json";
  } else if (op.body === "json" && body !== undefined) {
    parts.body = JSON.stringify(body);
    parts.headers["Content-Type"] = op.mediaType ?? "application/json";
  } else if (op.body === "multipart") {
    const data = new FormData();
    for (const [name, value] of form) {
      if (value instanceof Blob) data.append(name, value, value instanceof File ? value.name : "upload");
      else data.append(name, text(value));
    }
    parts.body = data;
  } else if (op.body === "form") {
    parts.body = new URLSearchParams(form.map(([k, v]) => [k, text(v)]));
  }
  return parts;
}

export async function bodyOf(response: Response): Promise<unknown> {
  const raw = await response.text();
  if (!raw) return undefined;
  if (!(response.headers.get("content-type") ?? "").includes("json")) return raw;
  try {
    return JSON.parse(raw);
  } catch (cause) {
    throw new KlearKarmaError(`${response.status}: the answer is not valid JSON`, { cause });
  }
}

/** What the caller gets: `data` of a JSON:API document, else the whole body. */
export function unwrap(op: Operation, body: unknown): unknown {
  if (op.result === "none") return undefined;
  if (op.result !== "json" && body && typeof body === "object") return (body as { data?: unknown }).data;
  return body;
}
