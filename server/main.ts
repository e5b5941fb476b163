import { buildApp } from './app';
import { loadConfig } from './env';

// Runs one API instance from the environment; see README "Configuration".
const config = loadConfig();
const app = await buildApp(config);
const { url } = await app.start();
console.log(`Homeroom API on ${url}`);

let stopping = false;
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, async () => {
    if (stopping) return;
    stopping = true;
    await app.stop();
    process.exit(0);
  });
}
