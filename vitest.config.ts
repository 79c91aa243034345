import { defineConfig } from 'vitest/config';

// One run covers every suite (host, lint, native, qemu); `make test` adds the closing count line.
export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 120_000,
    hookTimeout: 600_000,
    pool: 'forks',
  },
});
