import type { Plugin } from 'graphql-yoga';
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';

/** Prometheus metrics of one instance; the process defaults (CPU, memory, event loop) included. */
export function createMetrics() {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'homeroom_' });
  let countSockets = () => 0;
  // Counted on the hot path as plain numbers (prom-client hashes labels on every inc), added when scraped.
  const pendingDeliveries = new Map<string, number>();
  const metrics = {
    registry,
    /** The WebSocket server tells how to count its sockets when scraped. */
    countSocketsWith: (count: () => number) => {
      countSockets = count;
    },
    openSockets: new Gauge({
      name: 'homeroom_open_sockets',
      help: 'Open graphql-ws sockets',
      registers: [registry],
      collect() {
        this.set(countSockets());
      },
    }),
    socketLifetime: new Histogram({
      name: 'homeroom_socket_lifetime_seconds',
      help: 'How long graphql-ws sockets stayed open, by close code',
      labelNames: ['code'],
      // From a refused connect to a school day.
      buckets: [0.1, 1, 10, 60, 300, 900, 3600, 4 * 3600, 12 * 3600],
      registers: [registry],
    }),
    subscriptions: new Gauge({
      name: 'homeroom_subscriptions_active',
      help: 'Live subscriptions by topic',
      labelNames: ['topic'],
      registers: [registry],
    }),
    relayed: new Counter({
      name: 'homeroom_events_relayed_total',
      help: 'Outbox events published by this instance while leading',
      registers: [registry],
    }),
    relayLag: new Gauge({
      name: 'homeroom_relay_lag_seconds',
      help: 'Age of the newest event at its publication (0 when idle)',
      registers: [registry],
    }),
    relayLeader: new Gauge({
      name: 'homeroom_relay_leader',
      help: '1 when this instance leads the relay',
      registers: [registry],
    }),
    deliveries: new Counter({
      name: 'homeroom_deliveries_total',
      help: 'Events handed to subscribers',
      labelNames: ['topic'],
      registers: [registry],
      collect() {
        for (const [topic, count] of pendingDeliveries) this.inc({ topic }, count);
        pendingDeliveries.clear();
      },
    }),
    /** One event handed to one subscriber. */
    countDelivery(topic: string) {
      pendingDeliveries.set(topic, (pendingDeliveries.get(topic) ?? 0) + 1);
    },
    polls: new Counter({
      name: 'homeroom_polls_total',
      help: 'updates (polling) answers: nothing new, from the hub\'s position ("hub"); from the hub\'s recent events ("window"), plus a shared read of what follows them ("tail"); or read from the outbox ("outbox")',
      labelNames: ['answer'],
      registers: [registry],
    }),
    resyncs: new Counter({
      name: 'homeroom_resyncs_total',
      help: 'Resync signals sent (cursor older than retention)',
      registers: [registry],
    }),
    slowConsumers: new Counter({
      name: 'homeroom_slow_consumers_total',
      help: 'Subscriptions ended for falling too far behind',
      registers: [registry],
    }),
    gapsRepaired: new Counter({
      name: 'homeroom_gap_repairs_total',
      help: 'Gaps in the event stream repaired from the outbox',
      registers: [registry],
    }),
    errors: new Counter({
      name: 'homeroom_graphql_errors_total',
      help: 'GraphQL errors by extensions.code',
      labelNames: ['code'],
      registers: [registry],
    }),
  };
  return metrics;
}

export type Metrics = ReturnType<typeof createMetrics>;

/** Counts a result's errors by code (HTTP and SSE here, multipart in its plugin; graphql-ws from its own hooks). */
export function countErrors(metrics: Metrics, result: unknown) {
  if (
    Array.isArray(result) ||
    !result ||
    typeof result !== 'object' ||
    !('errors' in result) ||
    !Array.isArray(result.errors)
  )
    return;
  for (const error of result.errors as { extensions?: { code?: unknown } }[])
    metrics.errors.inc({ code: String(error.extensions?.code ?? 'INTERNAL_SERVER_ERROR') });
}

/** Serves GET /metrics and counts GraphQL errors by code. */
export function useMetrics(metrics: Metrics): Plugin {
  return {
    async onRequest({ url, endResponse, fetchAPI }) {
      if (url.pathname !== '/metrics') return;
      endResponse(
        new fetchAPI.Response(await metrics.registry.metrics(), {
          headers: { 'content-type': metrics.registry.contentType },
        }),
      );
    },
    onResultProcess({ result }) {
      countErrors(metrics, result);
    },
  };
}
