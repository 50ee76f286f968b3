import { fileURLToPath } from "node:url";

import { defineConfig } from "vitest/config";

const here = (path: string): string => fileURLToPath(new URL(path, import.meta.url));

// Tests import the packages by name, as users do; they resolve to the built output (dist/),
// so `npm test` builds first. Live tests need KK_SANDBOX_URL (tests/sdks/test_typescript.py
// starts a sandbox and sets it).
export default defineConfig({
  resolve: {
    alias: [
      { find: /^@klearkarma\/sdk$/, replacement: here("./sdk/dist/index.js") },
      { find: /^@klearkarma\/sdk\/webhooks$/, replacement: here("./sdk/dist/webhooks.js") },
      { find: /^@klearkarma\/react$/, replacement: here("./react/dist/index.js") },
    ],
  },
  test: {
    include: ["tests/**/*.test.{ts,tsx}"],
    testTimeout: 20_000,
    hookTimeout: 20_000,
    fileParallelism: false,
  },
});
