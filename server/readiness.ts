import { sql } from 'drizzle-orm';
import type { Database } from '../db/client';
import type { Live } from './live';

/**
 * /ready: the database answers, the event bus is connected (when Redis is used), and the relay
 * has a leader somewhere that is keeping up. 503 means "send traffic elsewhere".
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
  const body = {
    database,
    bus,
    relay: {
      leader: relay.isLeader(),
      publishedCursor: relay.publishedCursor(),
      lastPublishAt: relay.lastPublishAt() ? new Date(relay.lastPublishAt()).toISOString() : null,
    },
    hub: {
      lastCursor: deps.live.hub.lastCursor()
        ? `${deps.live.hub.lastCursor()!.xid}.${deps.live.hub.lastCursor()!.id}`
        : null,
      ...deps.live.hub.stats(),
    },
  };
  const ok = database === 'ok' && bus !== 'disconnected' && deps.live.hub.lastCursor() !== null;
  return new Response(JSON.stringify({ ready: ok, ...body }), {
    status: ok ? 200 : 503,
    headers: { 'content-type': 'application/json' },
  });
}
