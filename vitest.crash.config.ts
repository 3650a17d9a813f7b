// `npm run test:crash`: the long crash suites (test/crash/*.crash.ts), kept out of `npm test` and run by .ci/run after it.
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/crash/**/*.crash.ts'],
    pool: 'forks',
    // The two campaigns side by side: a life spends most of its time waiting (for the server to start, for the
    // round interval), so on two cores they overlap well.
    maxWorkers: 2,
    // One campaign is one test: generous, as a bound on a hang (the suites themselves wait only for events).
    testTimeout: 20 * 60_000,
    hookTimeout: 5 * 60_000,
  },
});
