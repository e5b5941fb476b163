/** Test helpers: import from 'test' folder as `../../test` (see README "Tests"). */
export { startTestApp, TEST_JWT_SECRET, type TestApp } from './app';
export { createTestDatabase, type TestDatabase } from './database';
export { startRedisServer, type TestRedis } from './redis';
export { type LogLine, type SpawnedApi, spawnApi } from './spawn-api';
