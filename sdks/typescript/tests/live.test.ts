// The TypeScript SDK against a live sandbox: typed errors, pages, OAuth PKCE sign-in with
// refresh and revocation, and the signature of a real webhook delivery.
import { createServer, type IncomingHttpHeaders } from "node:http";
import type { AddressInfo } from "node:net";

import {
  ConflictError,
  KlearKarmaClient,
  NotFoundError,
  OAuthError,
  PermissionDeniedError,
  UnprocessableEntityError,
} from "@klearkarma/sdk";
import { constructEvent, SIGNATURE_HEADER, verifyWebhook } from "@klearkarma/sdk/webhooks";
import { beforeAll, expect, test } from "vitest";

import { ADMIN_TOKEN, API_KEY, resetSandbox, SANDBOX_URL } from "./env.js";

const REDIRECT = "http://127.0.0.1:8765/callback";
const sandbox = (apiKey = API_KEY) => new KlearKarmaClient({ apiKey, baseUrl: SANDBOX_URL });

beforeAll(resetSandbox);

test("typed errors carry the JSON:API error objects", async () => {
  const client = sandbox();
  const missing = await client.bookings.get("booking_nope").catch((e: unknown) => e);
  expect(missing).toBeInstanceOf(NotFoundError);
  expect((missing as NotFoundError).code).toBe("RESOURCE_NOT_FOUND");
  expect((missing as NotFoundError).requestId).toMatch(/\S/);

  const invalid = await client.bookings
    .create({ practitionerId: "prac_123", scheduledAt: "2024-01-01T10:00:00Z", duration: 5, sessionType: "video_call" })
    .catch((e: unknown) => e);
  expect(invalid).toBeInstanceOf(UnprocessableEntityError);
  expect((invalid as UnprocessableEntityError).errors.map((e) => e.source?.pointer)).toContain("/data/attributes/duration");

  const slot = { practitionerId: "test_prac_123", scheduledAt: "2024-01-02T14:00:00Z", duration: 60, sessionType: "video_call" as const };
  const booked = await client.bookings.create(slot);
  const taken = await client.bookings.create(slot).catch((e: unknown) => e);
  expect(taken).toBeInstanceOf(ConflictError);
  expect((taken as ConflictError).code).toBe("BOOKING_CONFLICT");

  // the patient may cancel, not confirm: the practitioner confirms (the role table)
  const refused = await client.bookings.update(booked.id, { status: "confirmed" }).catch((e: unknown) => e);
  expect(refused).toBeInstanceOf(PermissionDeniedError);
  expect((refused as PermissionDeniedError).code).toBe("INSUFFICIENT_PERMISSIONS");
});

test("pages iterate over every practitioner once", async () => {
  const first = await sandbox().practitioners.search({ limit: 9 });
  expect(first).toHaveLength(9);
  const ids: string[] = [];
  for await (const p of first.iterAll()) ids.push(p.id);
  expect(ids.length).toBe(first.meta.total_count);
  expect(new Set(ids).size).toBe(ids.length);
});

/** The sandbox's login form, as a browser would submit it: the redirect's query. */
async function signIn(url: string): Promise<URLSearchParams> {
  const page = await (await fetch(url)).text();
  const form = new URLSearchParams();
  for (const m of page.matchAll(/<input type="hidden" name="([^"]+)" value="([^"]*)">/g)) {
    form.set(m[1]!, m[2]!.replace(/&amp;/g, "&").replace(/&#x27;/g, "'").replace(/&quot;/g, '"'));
  }
  form.set("email", "test.user@klearkarma.com");
  form.set("password", "TestPassword123!");
  const answer = await fetch(`${SANDBOX_URL}/oauth/authorize`, { method: "POST", body: form, redirect: "manual" });
  expect(answer.status).toBe(302);
  return new URL(answer.headers.get("location")!).searchParams;
}

test("OAuth PKCE sign-in, automatic refresh, revocation", async () => {
  const seen: string[] = [];
  const client = new KlearKarmaClient({ baseUrl: SANDBOX_URL, clientId: "kk-sandbox", onTokens: (t) => seen.push(t.accessToken) });
  const request = await client.oauth.authorizationRequest({ redirectUri: REDIRECT, scopes: ["read:profile", "read:bookings"] });
  const query = await signIn(request.url);
  expect(query.get("state")).toBe(request.state);
  const tokens = await client.oauth.exchangeCode(query.get("code")!, request);
  expect(tokens.scope).toBe("read:profile read:bookings");
  expect((await client.users.get("test_user_123")).attributes.email).toBe("test.user@klearkarma.com");

  client.transport.config.tokens = { ...tokens, expiresAt: Date.now() }; // about to expire
  await client.users.listBookings("test_user_123");
  expect(seen).toHaveLength(2);
  expect(client.tokens?.refreshToken).not.toBe(tokens.refreshToken); // rotated

  await client.oauth.revoke();
  await expect(client.oauth.refresh()).rejects.toBeInstanceOf(OAuthError);
});

test("a real webhook delivery verifies with the reference's verifyWebhook", async () => {
  const deliveries: Array<{ headers: IncomingHttpHeaders; body: string }> = [];
  const server = createServer((req, res) => {
    let body = "";
    req.on("data", (chunk: Buffer) => (body += chunk.toString("utf8")));
    req.on("end", () => {
      deliveries.push({ headers: req.headers, body });
      res.writeHead(204).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hooks`;
  const admin = sandbox(ADMIN_TOKEN);
  const secret = "whsec_ts_test_secret";
  const hook = await admin.webhooks.create({ url, events: ["booking.created"], secret });
  try {
    const booking = await sandbox().bookings.create({
      practitionerId: "test_prac_123",
      scheduledAt: new Date("2024-01-05T16:00:00Z"),
      duration: 60,
      sessionType: "video_call",
    });
    await expect.poll(() => deliveries.length, { timeout: 10_000 }).toBeGreaterThan(0);
    const { headers, body } = deliveries[0]!;
    const signature = headers[SIGNATURE_HEADER!.toLowerCase()] as string;
    expect(verifyWebhook(body, signature, secret)).toBe(true);
    expect(verifyWebhook(body, signature, "wrong")).toBe(false);
    const event = constructEvent(body, signature, secret);
    expect(event.type).toBe("booking.created");
    expect(event.data.id).toBe(booking.id);
  } finally {
    await admin.webhooks.delete(hook.id);
    server.close();
  }
});
