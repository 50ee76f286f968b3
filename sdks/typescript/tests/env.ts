/** Where the live sandbox is (set by tests/sdks/test_typescript.py, which starts it). */

function required(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set: run these tests through tests/sdks/test_typescript.py`);
  return value;
}

export const SANDBOX_URL = required("KK_SANDBOX_URL");
export const API_KEY = required("KK_API_KEY");
export const ADMIN_TOKEN = required("KK_ADMIN_TOKEN");

/** Seeded data again, and the reference's booking slot free (see tests/sdks/conftest.py). */
export async function resetSandbox(): Promise<void> {
  const headers = { Authorization: `Bearer ${ADMIN_TOKEN}` };
  const reset = await fetch(`${SANDBOX_URL}/__sandbox/reset`, { method: "POST", headers });
  if (!reset.ok) throw new Error(`reset failed: ${reset.status}`);
  const freed = await fetch(`${SANDBOX_URL}/v1/bookings/booking_123`, { method: "DELETE", headers });
  if (!freed.ok) throw new Error(`freeing the reference slot failed: ${freed.status}`);
}
