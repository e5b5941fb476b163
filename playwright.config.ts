import { defineConfig, devices } from '@playwright/test';
import { E2E } from './e2e/ports';

/**
 * The e2e suite runs against a throwaway copy of the whole app (e2e/serve.ts: fresh data folder,
 * embedded Postgres, seed, API on :4100, `next start` on :3100), started and stopped by Playwright.
 * Browser: Debian's chromium (no browser downloads here).
 */
export default defineConfig({
  testDir: 'e2e',
  outputDir: 'test-results',
  timeout: 60_000,
  expect: { timeout: 10_000 },
  fullyParallel: false,
  workers: 1, // two cores run Postgres, the API, Next and chromium: one browser at a time
  retries: 0,
  forbidOnly: Boolean(process.env.CI),
  reporter: [['list'], ['html', { open: 'never', outputFolder: 'playwright-report' }]],
  use: {
    baseURL: E2E.webUrl,
    screenshot: 'only-on-failure',
    trace: 'retain-on-failure',
    launchOptions: {
      executablePath: '/usr/bin/chromium',
      args: [
        '--no-sandbox',
        '--disable-gpu',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
        '--no-first-run',
        '--disable-quic',
      ],
    },
  },
  projects: [{ name: 'chromium', use: { ...devices['Desktop Chrome'], channel: undefined } }],
  webServer: {
    command: 'node --import tsx e2e/serve.ts',
    url: `${E2E.webUrl}/login`,
    timeout: 300_000, // a stale `.next` is rebuilt first
    // E2E_REUSE=1: use a copy already started with `node --import tsx e2e/serve.ts` (while iterating).
    reuseExistingServer: process.env.E2E_REUSE === '1',
    gracefulShutdown: { signal: 'SIGTERM', timeout: 60_000 },
    stdout: 'pipe',
    stderr: 'pipe',
  },
});
