// The reference's TypeScript SDK snippet ("SDK and Libraries"), as printed, against a live
// sandbox. Between the markers, lines ending in `// added:` and the API key are the only
// changes; tests/sdks/test_typescript.py checks the rest against the reference's text.
import { expect, test } from "vitest";

import { API_KEY, resetSandbox, SANDBOX_URL } from "./env.js";

await resetSandbox();

// --- snippet ---
import { KlearKarmaClient } from '@klearkarma/sdk';

const client = new KlearKarmaClient({
  apiKey: API_KEY,
  baseUrl: SANDBOX_URL, // added: the local sandbox
  environment: 'production' // or 'staging', 'development'
});

// Search practitioners
const practitioners = await client.practitioners.search({
  specialization: 'yoga',
  location: 'New York',
  availableFrom: new Date()
});

// Create booking
const booking = await client.bookings.create({
  practitionerId: 'prac_123',
  scheduledAt: new Date('2024-01-01T10:00:00Z'),
  duration: 60,
  sessionType: 'video_call'
});
// --- end of snippet ---

test("the search answers a page of practitioners", () => {
  expect(Array.isArray(practitioners)).toBe(true);
  expect(practitioners.meta.total_count).toBe(practitioners.length);
  for (const p of practitioners) expect(p.type).toBe("practitioner");
});

test("the booking is created with the snippet's camelCase inputs", () => {
  expect(booking.type).toBe("booking");
  expect(booking.id).toMatch(/^booking_/);
  expect(booking.attributes.scheduled_at).toBe("2024-01-01T10:00:00Z");
  expect(booking.attributes.duration).toBe(60);
  expect(booking.attributes.session_type).toBe("video_call");
  expect(booking.attributes.status).toBe("pending");
  expect(booking.attributes.practitioner_id).toBe("prac_123");
  expect(booking.attributes.user_id).toBe("test_user_123");
});
