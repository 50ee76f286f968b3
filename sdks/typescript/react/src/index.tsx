/**
 * React hooks for the Klear Karma API.
 *
 *   <KlearKarmaProvider options={{ apiKey, environment: "sandbox" }}>
 *     <PractitionerSearch />
 *   </KlearKarmaProvider>
 *
 *   const { data: practitioners, loading, error } = usePractitioners({ specialization: "yoga" });
 *
 * Every data hook returns `{ data, loading, error, refetch }`; `data` is undefined until the
 * first answer, `error` the SDK's typed error (an APIError carries the JSON:API errors).
 */

import {
  type Booking,
  KlearKarmaClient,
  type KlearKarmaClientOptions,
  type Page,
  type Practitioner,
  type PractitionersSearchParams,
  type UsersListBookingsParams,
} from "@klearkarma/sdk";
import { createContext, type ReactNode, useCallback, useContext, useEffect, useMemo, useRef, useState } from "react";

const ClientContext = createContext<KlearKarmaClient | null>(null);

export interface KlearKarmaProviderProps {
  /** A client to share, or the options to create one with. */
  client?: KlearKarmaClient;
  options?: KlearKarmaClientOptions;
  children?: ReactNode;
}

/** Makes one client available to `useKlearKarma` and the data hooks below it. */
export function KlearKarmaProvider({ client, options, children }: KlearKarmaProviderProps) {
  const value = useMemo(() => client ?? new KlearKarmaClient(options), [client, options]);
  return <ClientContext.Provider value={value}>{children}</ClientContext.Provider>;
}

/** The client of the nearest KlearKarmaProvider. */
export function useKlearKarma(): KlearKarmaClient {
  const client = useContext(ClientContext);
  if (!client) throw new Error("useKlearKarma needs a <KlearKarmaProvider> above it");
  return client;
}

/** The state of a request: loading, then either data or an error. */
export type QueryResult<T> = (
  | { data: undefined; loading: true; error: null }
  | { data: undefined; loading: false; error: Error }
  | { data: T; loading: false; error: null }
) & { refetch: () => Promise<void> };

type State<T> =
  | { data: undefined; loading: true; error: null }
  | { data: undefined; loading: false; error: Error }
  | { data: T; loading: false; error: null };

/** A stable key for hook inputs (Dates by value), so equal inputs do not refetch. */
function keyOf(value: unknown): string {
  return JSON.stringify(value ?? null, (_k, v: unknown) => (v instanceof Date ? v.toISOString() : v));
}

/**
 * Runs `query` with the provider's client whenever `deps` change (compared by value) and
 * tracks its state. The building block of the hooks below; use it for any other call:
 * `useKlearKarmaQuery((c) => c.bookings.get(id), [id])`.
 */
export function useKlearKarmaQuery<T>(
  query: (client: KlearKarmaClient) => Promise<T>,
  deps: unknown[],
  options: { enabled?: boolean } = {},
): QueryResult<T> {
  const client = useKlearKarma();
  const enabled = options.enabled ?? true;
  const [state, setState] = useState<State<T>>({ data: undefined, loading: true, error: null });
  const queryRef = useRef(query);
  queryRef.current = query;
  const key = keyOf(deps);
  const generation = useRef(0);

  const run = useCallback(async () => {
    const mine = ++generation.current;
    setState({ data: undefined, loading: true, error: null });
    try {
      const data = await queryRef.current(client);
      if (mine === generation.current) setState({ data, loading: false, error: null });
    } catch (e) {
      if (mine === generation.current) {
        setState({ data: undefined, loading: false, error: e instanceof Error ? e : new Error(String(e)) });
      }
    }
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [client, key]);

  useEffect(() => {
    if (!enabled) return;
    void run();
    return () => {
      generation.current += 1; // answers of an unmounted or outdated run are dropped
    };
  }, [run, enabled]);

  return { ...state, refetch: run };
}

/** `client.practitioners.search(params)`: a page of practitioners. */
export function usePractitioners(params: PractitionersSearchParams = {}): QueryResult<Page<Practitioner>> {
  return useKlearKarmaQuery((client) => client.practitioners.search(params), [params]);
}

export interface UseBookingsParams extends UsersListBookingsParams {
  /** Whose bookings (the signed-in user's id). */
  userId: string;
}

/** `client.users.listBookings(userId, params)`: a page of a user's bookings. */
export function useBookings({ userId, ...params }: UseBookingsParams): QueryResult<Page<Booking>> {
  return useKlearKarmaQuery((client) => client.users.listBookings(userId, params), [userId, params]);
}

export type { KlearKarmaClientOptions };
