import { type Histogram, monoMicros, newHistogram, record } from '../lib/hist';
import type { PollerCommand, PollerReply, PollerSpec } from './protocol';

/**
 * A polling-crowd worker: many clients without a socket, each asking `updates(after)` over HTTP
 * every `intervalMs` (at its own phase in the interval, as browsers spread out), from the cursor
 * its previous answer gave, starting from its own `liveCursor` — what the web client does while
 * its socket is down (app/lib/live/polling.ts). Measures each answer's round trip and counts
 * every event per poller (the row's note carries its seq) to find losses and duplicates.
 */
type Poller = { spec: PollerSpec; cursor: string; counts: Uint8Array; timer: NodeJS.Timeout | null };

const LIVE_CURSOR = '{ liveCursor }';
const NOTE = /"note":"(\d+):/g;

const pollers: Poller[] = [];
let config: Extract<PollerCommand, { type: 'start' }> | null = null;
let phase = { start: 0, end: 0 };
let hist: Histogram = newHistogram();
let stats = freshStats();
let stopped = false;

function freshStats() {
  return { polls: 0, errors: 0, events: 0, outOfPhase: 0, hasMore: 0, otherErrors: [] as string[] };
}

const send = (reply: PollerReply) => process.send!(reply);

async function post(token: string, query: string, variables: Record<string, unknown> = {}) {
  const response = await fetch(config!.url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    body: JSON.stringify({ query, variables }),
  });
  const text = await response.text();
  if (!response.ok || text.includes('"errors"')) throw new Error(`${response.status} ${text.slice(0, 200)}`);
  return text;
}

async function poll(p: Poller) {
  const started = monoMicros();
  try {
    // Pages until nothing more is waiting, as the web client does.
    for (;;) {
      const text = await post(p.spec.token, config!.query, { after: p.cursor });
      const body = JSON.parse(text) as { data: { updates: { cursor: string; hasMore: boolean } } };
      for (const match of text.matchAll(NOTE)) {
        const seq = Number(match[1]);
        if (seq < phase.start || seq >= phase.end) stats.outOfPhase += 1;
        else {
          const i = seq - phase.start;
          if (p.counts[i] < 255) p.counts[i] += 1;
          stats.events += 1;
        }
      }
      p.cursor = body.data.updates.cursor;
      if (!body.data.updates.hasMore) break;
      stats.hasMore += 1;
    }
    stats.polls += 1;
    record(hist, monoMicros() - started);
  } catch (error) {
    stats.errors += 1;
    if (stats.otherErrors.length < 5) stats.otherErrors.push(String(error).slice(0, 300));
  }
}

function schedule(p: Poller, delayMs: number) {
  p.timer = setTimeout(async () => {
    if (stopped) return;
    const next = Date.now() + config!.intervalMs;
    await poll(p);
    if (!stopped) schedule(p, Math.max(0, next - Date.now()));
  }, delayMs);
}

/** Every poller reads its liveCursor (spread over one interval), then polls every interval from it. */
async function start(command: Extract<PollerCommand, { type: 'start' }>) {
  config = command;
  const began = Date.now();
  let failed = 0;
  await Promise.all(
    command.pollers.map(async (spec) => {
      const offset = Math.random() * command.intervalMs;
      await new Promise((r) => setTimeout(r, offset));
      try {
        const text = await post(spec.token, LIVE_CURSOR);
        const p: Poller = { spec, cursor: JSON.parse(text).data.liveCursor, counts: new Uint8Array(0), timer: null };
        pollers.push(p);
        schedule(p, command.intervalMs);
      } catch (error) {
        failed += 1;
        if (stats.otherErrors.length < 5) stats.otherErrors.push(String(error).slice(0, 300));
      }
    }),
  );
  return { started: pollers.length, failed, ms: Date.now() - began };
}

/** Per poller: events of its course that never came (lost) and extra copies (duplicated). */
function account(courseOfSeq: number[], sent: number) {
  let expected = 0;
  let lost = 0;
  let duplicated = 0;
  for (const p of pollers)
    for (let i = 0; i < sent; i++) {
      if (courseOfSeq[i] !== p.spec.courseIndex) continue;
      expected += 1;
      if (p.counts[i] === 0) lost += 1;
      else duplicated += p.counts[i] - 1;
    }
  return { expected, lost, duplicated };
}

process.on('message', async (command: PollerCommand) => {
  switch (command.type) {
    case 'start':
      send({ type: 'started', ...(await start(command)) });
      break;
    case 'phase':
      phase = { start: command.start, end: command.end };
      for (const p of pollers) p.counts = new Uint8Array(command.end - command.start);
      hist = newHistogram();
      stats = freshStats();
      send({ type: 'phase-ready' });
      break;
    case 'report':
      send({ type: 'report', hist, ...stats, ...account(command.courseOfSeq, command.sent) });
      break;
    case 'close':
      stopped = true;
      for (const p of pollers) if (p.timer) clearTimeout(p.timer);
      send({ type: 'closed' });
      setTimeout(() => process.exit(0), 50);
      break;
  }
});
process.on('disconnect', () => process.exit(0));
send({ type: 'hello' });
