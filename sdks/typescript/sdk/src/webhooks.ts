/**
 * Verify and parse webhook deliveries (Node; `@klearkarma/sdk/webhooks`).
 *
 * Each delivery carries hex(HMAC-SHA256(secret, raw body)) in the signature header
 * (`X-KlearKarma-Signature`). Verify it over the raw bytes received, before parsing.
 */

import { createHmac, timingSafeEqual } from "node:crypto";

import { WebhookSignatureError } from "./errors.js";
import { SIGNATURE_HEADER, WEBHOOK_EVENTS } from "./generated/spec.js";
import type { WebhookEvent } from "./generated/types.js";

export { SIGNATURE_HEADER, WEBHOOK_EVENTS };
export type { WebhookEvent };

export function sign(payload: string | Uint8Array, secret: string): string {
  return createHmac("sha256", secret).update(payload).digest("hex");
}

/** The reference's `verifyWebhook`: true when `signature` matches; compared in constant time. */
export function verifyWebhook(payload: string | Uint8Array, signature: string | null | undefined, secret: string): boolean {
  if (!signature || !/^[0-9a-fA-F]+$/.test(signature.trim())) return false;
  const expected = Buffer.from(sign(payload, secret), "hex");
  const given = Buffer.from(signature.trim(), "hex");
  return given.length === expected.length && timingSafeEqual(given, expected);
}

/** The parsed event of a delivery whose signature is valid; else WebhookSignatureError. */
export function constructEvent(payload: string | Uint8Array, signature: string | null | undefined, secret: string): WebhookEvent {
  if (!verifyWebhook(payload, signature, secret)) {
    throw new WebhookSignatureError("the webhook signature does not match its body");
  }
  const text = typeof payload === "string" ? payload : new TextDecoder().decode(payload);
  let event: unknown;
  try {
    event = JSON.parse(text);
  } catch (cause) {
    throw new WebhookSignatureError("a signed webhook body that is not JSON", { cause });
  }
  if (!event || typeof event !== "object" || !("type" in event)) {
    throw new WebhookSignatureError("a signed webhook body that is not an event");
  }
  return event as WebhookEvent;
}
