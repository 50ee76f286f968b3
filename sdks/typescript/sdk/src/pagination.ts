/** Pages of a list operation (limit/offset) and iteration over every item. */

export interface ListMeta {
  total_count?: number;
  page?: number;
  per_page?: number;
  total_pages?: number;
  [key: string]: unknown;
}

/** One page: an array of the items, with the answer's `meta` and `links`. */
export type Page<T> = T[] & {
  readonly meta: ListMeta;
  readonly links: Record<string, string | null>;
  readonly offset: number;
  readonly hasMore: boolean;
  nextPage(): Promise<Page<T> | null>;
  /** This page's items, then every later page's. */
  iterAll(): AsyncIterable<T>;
};

export function makePage<T>(
  document: { data?: unknown; meta?: unknown; links?: unknown },
  offset: number,
  fetch: (offset: number) => Promise<Page<T>>,
): Page<T> {
  const items = (Array.isArray(document.data) ? document.data : []) as T[];
  const meta = (document.meta ?? {}) as ListMeta;
  const links = (document.links ?? {}) as Record<string, string | null>;
  const total = meta.total_count;
  const hasMore =
    items.length > 0 &&
    ("next" in links ? links.next !== null : typeof total === "number" && offset + items.length < total);
  const page = Object.assign([...items], {
    meta,
    links,
    offset,
    hasMore,
    nextPage: (): Promise<Page<T> | null> => (hasMore ? fetch(offset + items.length) : Promise.resolve(null)),
    iterAll: (): AsyncIterable<T> => ({
      async *[Symbol.asyncIterator]() {
        let current: Page<T> | null = page;
        while (current) {
          yield* current;
          current = await current.nextPage();
        }
      },
    }),
  });
  return page;
}
