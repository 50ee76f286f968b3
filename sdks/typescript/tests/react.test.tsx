// @vitest-environment jsdom
// The reference's React hooks snippet, as printed, rendered in a DOM against a live sandbox.
// Between the markers nothing is changed (tests/sdks/test_typescript.py checks it against the
// reference); the provider and `PractitionerCard` around it are the test's.
import { KlearKarmaClient } from "@klearkarma/sdk";
import { cleanup, render, screen, waitFor } from "@testing-library/react";
import { afterEach, beforeAll, expect, test } from "vitest";

import { API_KEY, resetSandbox, SANDBOX_URL } from "./env.js";

// --- snippet ---
import { useKlearKarma, usePractitioners, useBookings } from '@klearkarma/react';

function PractitionerSearch() {
  const { data: practitioners, loading, error } = usePractitioners({
    specialization: 'yoga',
    location: 'New York'
  });

  if (loading) return <div>Loading...</div>;
  if (error) return <div>Error: {error.message}</div>;

  return (
    <div>
      {practitioners.map(practitioner => (
        <PractitionerCard key={practitioner.id} practitioner={practitioner} />
      ))}
    </div>
  );
}
// --- end of snippet ---

import { KlearKarmaProvider } from "@klearkarma/react";
import type { Practitioner } from "@klearkarma/sdk";

function PractitionerCard({ practitioner }: { practitioner: Practitioner }) {
  const { first_name, last_name, specializations } = practitioner.attributes;
  return (
    <article aria-label={practitioner.id}>
      {first_name} {last_name}: {specializations.join(", ")}
    </article>
  );
}

function sandboxClient(apiKey = API_KEY) {
  return new KlearKarmaClient({ apiKey, baseUrl: SANDBOX_URL });
}

beforeAll(resetSandbox);
afterEach(cleanup);

test("PractitionerSearch shows Loading..., then the practitioners", async () => {
  render(
    <KlearKarmaProvider client={sandboxClient()}>
      <PractitionerSearch />
    </KlearKarmaProvider>,
  );
  expect(screen.getByText("Loading...")).toBeTruthy();
  const jane = await screen.findByLabelText("prac_123");
  expect(jane.textContent).toContain("Jane Smith");
  expect(screen.queryByText("Loading...")).toBeNull();
});

test("PractitionerSearch shows the SDK's error message", async () => {
  render(
    <KlearKarmaProvider client={sandboxClient("kk_test_not_a_key")}>
      <PractitionerSearch />
    </KlearKarmaProvider>,
  );
  const message = await screen.findByText(/^Error: 401 /);
  expect(message.textContent).toMatch(/INVALID_TOKEN|AUTHENTICATION_REQUIRED/);
});

function Bookings({ userId }: { userId: string }) {
  const client = useKlearKarma();
  const { data, loading, error, refetch } = useBookings({ userId, status: "pending" });
  if (loading) return <p>Loading...</p>;
  if (error) return <p>Error: {error.message}</p>;
  return (
    <div>
      <ul>
        {data.map((b) => (
          <li key={b.id}>{b.attributes.scheduled_at}</li>
        ))}
      </ul>
      <button
        onClick={async () => {
          await client.bookings.create({
            practitionerId: "test_prac_123",
            scheduledAt: new Date("2024-01-04T09:00:00Z"),
            duration: 30,
            sessionType: "chat",
          });
          await refetch();
        }}
      >
        book
      </button>
    </div>
  );
}

test("useBookings lists a user's bookings and refetches after a booking", async () => {
  render(
    <KlearKarmaProvider client={sandboxClient()}>
      <Bookings userId="test_user_123" />
    </KlearKarmaProvider>,
  );
  const button = await screen.findByText("book");
  expect(screen.queryByText("2024-01-04T09:00:00Z")).toBeNull();
  button.click();
  await waitFor(() => expect(screen.getByText("2024-01-04T09:00:00Z")).toBeTruthy());
});

test("useKlearKarma without a provider says what is missing", () => {
  function Orphan() {
    useKlearKarma();
    return null;
  }
  const original = console.error;
  console.error = () => {};
  try {
    expect(() => render(<Orphan />)).toThrow(/KlearKarmaProvider/);
  } finally {
    console.error = original;
  }
});
