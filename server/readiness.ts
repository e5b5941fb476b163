import { sql } from 'drizzle-orm';
import type { Database } from '../db/client';
import type { Live } from './live';
import { formatCursor } from './live/cursor';

/**
 * /ready: 200 while this instance can serve — the database answers and the live hub runs. 503
 * means "send traffic elsewhere". A lost event bus (Redis) is "degraded", not unready: every
 * instance shares that Redis, so draining one would only move its sockets to another in the same
 * state, while the hub keeps events flowing by reading the outbox itself (LIVE_DEGRADED_POLL_MS).
 */
export async function readiness(deps: { db: Database; live: Live; redisConfigured: boolean }): Promise<Response> {
  let database = 'ok';
  try {
    await deps.db.execute(sql`select 1`);
  } catch (error) {
    database = error instanceof Error ? error.message : 'unreachable';
  }
  const bus = deps.redisConfigured ? (deps.live.bus.connected() ? 'ok' : 'disconnected') : 'in-process';
  const relay = deps.live.relay;
  const hubCursor = deps.live.hub.lastCursor();
  const ready = database === 'ok' && hubCursor !== null;
  const body = {
    ready,
    status: !ready ? 'unavailable' : bus === 'disconnected' ? 'degraded' : 'ok',
    database,
    bus,
    relay: {
      leader: relay.isLeader(),
      publishedCursor: relay.publishedCursor(),
      lastPublishAt: relay.lastPublishAt() ? new Date(relay.lastPublishAt()).toISOString() : null,
    },
    hub: {
      lastCursor: hubCursor ? formatCursor(hubCursor) : null,
      // While the bus is down the hub reads the outbox itself, every LIVE_DEGRADED_POLL_MS.
      readsOutbox: bus === 'disconnected',
      ...deps.live.hub.stats(),
    },
  };
  return new Response(JSON.stringify(body), {
    status: ready ? 200 : 503,
    headers: { 'content-type': 'application/json' },
  });
}
