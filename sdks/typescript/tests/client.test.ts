// The TypeScript runtime without a server (a fake fetch): camelCase inputs to wire names,
// Dates, JSON:API documents, typed errors, retries on 429, pages, token refresh, PKCE.
import {
  ConfigurationError,
  ENVIRONMENTS,
  generatePKCE,
  challengeOf,
  KlearKarmaClient,
  NotFoundError,
  RateLimitError,
  resolveUrls,
  UnprocessableEntityError,
} from "@klearkarma/sdk";
import { constructEvent, verifyWebhook } from "@klearkarma/sdk/webhooks";
import { createHmac } from "node:crypto";
import { describe, expect, test } from "vitest";

interface Seen {
  url: URL;
  method: string;
  headers: Record<string, string>;
  body: unknown;
}

function fakeFetch(answer: (req: Seen) => Response | Promise<Response>) {
  const seen: Seen[] = [];
  const fetch = async (input: string | URL | Request, init?: RequestInit): Promise<Response> => {
    const body = init?.body;
    const req: Seen = {
      url: new URL(String(input)),
      method: init?.method ?? "GET",
      headers: Object.fromEntries(Object.entries((init?.headers ?? {}) as Record<string, string>)),
      body: typeof body === "string" ? JSON.parse(body) : body,
    };
    seen.push(req);
    return answer(req);
  };
  return { seen, fetch: fetch as typeof globalThis.fetch };
}

const json = (status: number, body: unknown, headers: Record<string, string> = {}) =>
  new Response(JSON.stringify(body), { status, headers: { "Content-Type": "application/json", ...headers } });

const BOOKING = { data: { id: "booking_1", type: "booking", attributes: {} } };

function client(answer: (req: Seen) => Response | Promise<Response>, options = {}) {
  const { seen, fetch } = fakeFetch(answer);
  const slept: number[] = [];
  const c = new KlearKarmaClient({
    apiKey: "kk_test_key",
    baseUrl: "http://api.test",
    fetch,
    retry: { sleep: async (s) => void slept.push(s) },
    ...options,
  });
  return { c, seen, slept };
}

describe("requests", () => {
  test("camelCase inputs become a JSON:API document with snake_case attributes", async () => {
    const { c, seen } = client(() => json(201, BOOKING));
    await c.bookings.create({
      practitionerId: "prac_123",
      scheduledAt: new Date("2024-01-01T10:00:00Z"),
      duration: 60,
      sessionType: "video_call",
      location: { line1: "1 Main St", postalCode: "10001" },
      meta: { client_version: "1.0.0", platform: "web" },
      requestId: "req-abc",
    });
    const req = seen[0]!;
    expect(req.method).toBe("POST");
    expect(req.url.pathname).toBe("/v1/bookings");
    expect(req.headers.Authorization).toBe("Bearer kk_test_key");
    expect(req.headers["X-Request-ID"]).toBe("req-abc");
    expect(req.body).toEqual({
      data: {
        type: "booking",
        attributes: {
          practitioner_id: "prac_123",
          scheduled_at: "2024-01-01T10:00:00Z",
          duration: 60,
          session_type: "video_call",
          location: { line1: "1 Main St", postal_code: "10001" },
        },
      },
      meta: { client_version: "1.0.0", platform: "web" },
    });
  });

  test("nested inputs are mapped all the way down", async () => {
    const { c, seen } = client(() => json(200, { data: { id: "pi_1", type: "payment_intent" } }));
    await c.payments.confirmIntent("pi_1", {
      paymentMethod: { type: "card", card: { number: "4242424242424242", expMonth: 12, expYear: 2030, cvc: "123" } },
    });
    expect(seen[0]!.url.pathname).toBe("/v1/payments/intents/pi_1/confirm");
    const attributes = (seen[0]!.body as { data: { attributes: Record<string, unknown> } }).data.attributes;
    expect(attributes).toEqual({
      payment_method: { type: "card", card: { number: "4242424242424242", exp_month: 12, exp_year: 2030, cvc: "123" } },
    });
  });

  test("query parameters: camelCase names, date and date-time formats, path escaping", async () => {
    const meta = { total_count: 0, page: 1, per_page: 20, total_pages: 0 };
    const { c, seen } = client(() => json(200, { data: [], meta }));
    await c.practitioners.search({ availableFrom: new Date("2024-01-01T09:00:00.250Z"), ratingMin: 4.5 });
    await c.users.listBookings("test user/1", { from: new Date("2024-01-02T23:00:00Z"), status: "confirmed" });
    expect(Object.fromEntries(seen[0]!.url.searchParams)).toEqual({
      available_from: "2024-01-01T09:00:00.250Z",
      rating_min: "4.5",
    });
    expect(seen[1]!.url.pathname).toBe("/v1/users/test%20user%2F1/bookings");
    expect(Object.fromEntries(seen[1]!.url.searchParams)).toEqual({ from: "2024-01-02", status: "confirmed" });
  });

  test("files are sent as multipart form data", async () => {
    const { c, seen } = client(() => json(201, { data: { id: "file_1", type: "file" } }));
    const file = new File(["hello"], "notes.txt", { type: "text/plain" });
    await c.messaging.uploadConversationFile("conv_1", { file, message: "see attached" });
    const form = seen[0]!.body as FormData;
    expect(form.get("message")).toBe("see attached");
    expect((form.get("file") as File).name).toBe("notes.txt");
  });

  test("a 204 answer resolves to undefined", async () => {
    const { c } = client(() => new Response(null, { status: 204 }));
    await expect(c.webhooks.delete("wh_1")).resolves.toBeUndefined();
  });
});

describe("answers", () => {
  test("errors are typed and carry the JSON:API error objects", async () => {
    const errors = [
      { status: "422", code: "VALIDATION_ERROR", detail: "too short", source: { pointer: "/data/attributes/duration" } },
    ];
    const { c } = client(() => json(422, { errors, meta: { request_id: "req_1" } }));
    const error = await c.bookings.create({
      practitionerId: "p",
      scheduledAt: "2024-01-01T10:00:00Z",
      duration: 5,
      sessionType: "chat",
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UnprocessableEntityError);
    const e = error as UnprocessableEntityError;
    expect([e.status, e.code, e.requestId]).toEqual([422, "VALIDATION_ERROR", "req_1"]);
    expect(e.errors[0]?.source?.pointer).toBe("/data/attributes/duration");
  });

  test("a 429 is retried after Retry-After, a bounded number of times", async () => {
    const limited = () =>
      json(429, { errors: [{ status: "429", code: "RATE_LIMIT_EXCEEDED" }] }, { "Retry-After": "2" });
    let calls = 0;
    const ok = client(() => (++calls < 3 ? limited() : json(200, BOOKING)));
    await expect(ok.c.bookings.get("booking_1")).resolves.toMatchObject({ id: "booking_1" });
    expect(ok.slept).toEqual([2, 2]);

    const never = client(limited);
    const error = await never.c.bookings.get("booking_1").catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RateLimitError);
    expect((error as RateLimitError).retryAfter).toBe(2);
    expect(never.slept).toEqual([2, 2]);

    const long = client(() => json(429, {}, { "Retry-After": "3600" }), { retry: { maxDelay: 10 } });
    await expect(long.c.bookings.get("booking_1")).rejects.toBeInstanceOf(RateLimitError);
  });

  test("pages know their meta and fetch the next offsets", async () => {
    const all = Array.from({ length: 5 }, (_, i) => ({ id: `prac_${i}`, type: "practitioner" }));
    const { c, seen } = client((req) => {
      const offset = Number(req.url.searchParams.get("offset") ?? 0);
      const limit = Number(req.url.searchParams.get("limit") ?? 20);
      const meta = { total_count: all.length, page: offset / limit + 1, per_page: limit, total_pages: 3 };
      return json(200, { data: all.slice(offset, offset + limit), meta });
    });
    const first = await c.practitioners.search({ limit: 2 });
    expect(first.map((p) => p.id)).toEqual(["prac_0", "prac_1"]);
    expect(first.hasMore).toBe(true);
    const ids: string[] = [];
    for await (const p of first.iterAll()) ids.push(p.id);
    expect(ids).toEqual(all.map((p) => p.id));
    expect(seen.map((r) => r.url.searchParams.get("offset"))).toEqual([null, "2", "4"]);
  });

  test("a 404 is a NotFoundError", async () => {
    const { c } = client(() => json(404, { errors: [{ status: "404", code: "RESOURCE_NOT_FOUND" }] }));
    await expect(c.practitioners.get("prac_nope")).rejects.toBeInstanceOf(NotFoundError);
  });
});

describe("configuration and auth", () => {
  test("environments and base URLs resolve like the reference says", () => {
    expect(resolveUrls()).toEqual(["https://api.klearkarma.com/v1", "https://auth.klearkarma.com"]);
    expect(resolveUrls("staging")[0]).toBe(ENVIRONMENTS.staging);
    expect(resolveUrls("development")[0]).toBe("https://api-dev.klearkarma.com/v1");
    expect(resolveUrls("production", "http://127.0.0.1:8000")).toEqual(["http://127.0.0.1:8000/v1", "http://127.0.0.1:8000"]);
    expect(() => resolveUrls("moon")).toThrow(ConfigurationError);
  });

  test("a refused token is refreshed once (rotating) and the call retried", async () => {
    const issued: string[] = [];
    const { c, seen } = client(
      (req) => {
        if (req.url.pathname === "/oauth/token") {
          const form = req.body as URLSearchParams;
          issued.push(form.get("refresh_token")!);
          return json(200, { access_token: "access-2", refresh_token: "refresh-2", expires_in: 3600 });
        }
        return req.headers.Authorization === "Bearer access-2"
          ? json(200, BOOKING)
          : json(401, { errors: [{ code: "INVALID_TOKEN" }] });
      },
      { apiKey: undefined, tokens: { accessToken: "access-1", refreshToken: "refresh-1", tokenType: "Bearer", scope: "" }, clientId: "kk-sandbox" },
    );
    await c.bookings.get("booking_1");
    expect(issued).toEqual(["refresh-1"]);
    expect(seen.map((r) => r.url.pathname)).toEqual(["/v1/bookings/booking_1", "/oauth/token", "/v1/bookings/booking_1"]);
    expect(c.tokens?.refreshToken).toBe("refresh-2");
  });

  test("PKCE: the RFC 7636 example and fresh verifiers", async () => {
    expect(await challengeOf("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk")).toBe("E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM");
    const [a, b] = [await generatePKCE(), await generatePKCE()];
    expect(a.verifier).not.toBe(b.verifier);
    expect(a.verifier).toHaveLength(64);
    expect(a.challenge).toBe(await challengeOf(a.verifier));
  });

  test("the reference's verifyWebhook: hex HMAC-SHA256, constant-time compare", () => {
    const payload = JSON.stringify({ id: "evt_1", type: "booking.created", data: {} });
    const signature = createHmac("sha256", "secret").update(payload).digest("hex");
    expect(verifyWebhook(payload, signature, "secret")).toBe(true);
    expect(verifyWebhook(payload + " ", signature, "secret")).toBe(false);
    expect(verifyWebhook(payload, signature, "other")).toBe(false);
    expect(verifyWebhook(payload, "zz", "secret")).toBe(false);
    expect(constructEvent(payload, signature, "secret").type).toBe("booking.created");
    expect(() => constructEvent(payload, "00", "secret")).toThrow(/signature/);
  });
});
