/** Test helpers (README "Test it"): the app in-process (startTestApp), in a child process (spawnApi), databases, Redis. */
export { startTestApp, TEST_JWT_SECRET, type TestApp } from './app';
export { createTestDatabase, type TestDatabase } from './database';
export { startRedisServer, type TestRedis } from './redis';
export { type LogLine, type SpawnedApi, spawnApi } from './spawn-api';
