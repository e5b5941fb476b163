import { buildApp } from '../../server/app';
import { loadConfig } from '../../server/env';
import { serveControl } from './control';

// One Homeroom API instance, exactly as `npm run api` builds it, configured from the environment
// the harness gives it (DATABASE_URL, REDIS_URL, PORT, JWT_SECRET, LOG_LEVEL, LIVE_* …).
const app = await buildApp(loadConfig(process.env));
const { port } = await app.start();
serveControl(port, () => app.stop());
