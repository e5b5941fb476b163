/** Helpers for the hardening suite (server/hardening/*.test.ts). */
export { spawnApi, type SpawnedApi, type LogLine } from './spawn';
export { craftToken, type CraftedToken } from './tokens';
export { parseMetrics, metric, type MetricSample } from './metrics';
export { watchGrades, type GradeWatch } from './watch';
export { ackedSocket, ackOrClose, answerOrClose, initResult, runOperation, upgrade } from './sockets';
export { gradeEveryoneWithNotes, HEAVY_GRADES, hubCaughtUp, NOTE_BYTES, tcpOf } from './slow';
