/**
 * Playwright's webServer: a throwaway copy of the whole app (embedded Postgres, migrations, seed,
 * API, `next start`) in a fresh temporary data folder, on the e2e ports. Runs scripts/start.ts in
 * its own process group, forwards exactly one stop signal to it, waits for it to stop everything,
 * then deletes the data folder. Playwright stops it with SIGTERM (gracefulShutdown in the config).
 */
import { spawn } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { E2E } from './ports';

const dataDir = mkdtempSync(join(tmpdir(), 'homeroom-e2e-'));
chmodSync(dataDir, 0o755); // embedded Postgres runs as its own user and must reach the folder

const child = spawn(process.execPath, ['--import', 'tsx', 'scripts/start.ts'], {
  cwd: join(import.meta.dirname, '..'),
  detached: true, // own group: a signal to Playwright's group reaches start.ts only through us
  stdio: 'inherit',
  env: {
    ...process.env,
    HOMEROOM_DATA_DIR: dataDir,
    PORT: String(E2E.apiPort),
    WEB_PORT: String(E2E.webPort),
    EMBEDDED_PG_PORT: String(E2E.pgPort),
    HOMEROOM_API_URL: E2E.apiUrl,
    NEXT_TELEMETRY_DISABLED: '1',
    LOG_LEVEL: process.env.LOG_LEVEL ?? 'warn',
    // A known secret lets a test mint a token that expires mid-session (e2e/tokens.ts).
    JWT_SECRET: E2E.jwtSecret,
  },
});

let stopping = false;
const stop = (signal: NodeJS.Signals) => {
  if (stopping) return;
  stopping = true;
  child.kill(signal);
};
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(signal, () => stop(signal));

child.on('exit', (code, signal) => {
  rmSync(dataDir, { recursive: true, force: true });
  process.exit(code ?? (signal ? 1 : 0));
});
