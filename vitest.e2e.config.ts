// `npm run test:e2e`: the app end to end in Debian's Chromium (playwright-core) against `npm start` with a small
// demo fleet (test/e2e/*.e2e.ts); run by .ci/run after `npm test`. One shopper's story is one file, in order.
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/e2e/**/*.e2e.ts'],
    pool: 'forks',
    fileParallelism: false,
    // Bounds on a hang, not timings: every step waits for an event (a page state, a round, a receipt).
    testTimeout: 5 * 60_000,
    hookTimeout: 5 * 60_000,
  },
});
