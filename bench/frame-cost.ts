import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import { type WebSocket, WebSocketServer } from 'ws';
import { monoMicros } from './lib/hist';
import { withAllOpenFiles } from './lib/infra';
import { awaitDeliveries, startGenerators } from './lib/load';
import { cpuSeconds, round } from './lib/procfs';

// What the load generators (bench/load/generator.ts) cost per received frame and per connection,
// without Postgres, Redis or a real server in the way:
//
//   node --import tsx bench/frame-cost.ts [--subscribers=2000] [--generators=2] [--rate=30] [--seconds=5] [--rounds=3] [--cursor]
//
// A stand-in server (`ws`, pinned to core 0, this file with --serve) acks every connection_init,
// registers every subscribe and, when told, sends `rate` events/s for `seconds` to every
// subscriber: raw ws's frame (bench/servers/raw-ws.ts), its note the schedule stamp the
// generators read. The generators run on core 1 as in the bench. Printed: the generators' CPU
// (utime+stime) per connection (TCP, upgrade, connection_init, ack, subscribe) and, for each
// round, per frame received, with the stand-in's own CPU per frame beside it and the load average.
// `--cursor` makes the generators track each frame's cursor (what they do for Homeroom).

const args = process.argv.slice(2);
const option = (name: string, fallback: number) =>
  Number(args.find((a) => a.startsWith(`--${name}=`))?.split('=')[1] ?? fallback);

if (args.includes('--serve')) serve();
else await main();

function serve() {
  const subs: { socket: WebSocket; id: string }[] = [];
  const wss = new WebSocketServer({ host: '127.0.0.1', port: 0, path: '/graphql', perMessageDeflate: false });
  wss.on('connection', (socket) => {
    socket.on('message', (data) => {
      const msg = JSON.parse(String(data)) as { type: string; id?: string };
      if (msg.type === 'connection_init') socket.send('{"type":"connection_ack"}');
      else if (msg.type === 'ping') socket.send('{"type":"pong"}');
      else if (msg.type === 'subscribe' && msg.id) subs.push({ socket, id: msg.id });
    });
  });
  wss.on('listening', () => {
    const address = wss.address();
    process.send!({ type: 'port', port: typeof address === 'object' && address ? address.port : 0 });
  });
  process.on('message', async (m: { type: 'blast'; start: number; count: number; rate: number } | { type: 'stop' }) => {
    if (m.type === 'stop') {
      for (const s of wss.clients) s.terminate();
      wss.close();
      process.exit(0);
    }
    const t0 = monoMicros() + 20_000;
    for (let i = 0; i < m.count; i++) {
      const scheduled = Math.round(t0 + (i * 1e6) / m.rate);
      for (;;) {
        const wait = scheduled - monoMicros();
        if (wait <= 0) break;
        await new Promise((r) => (wait > 1500 ? setTimeout(r, Math.floor(wait / 1000)) : setImmediate(r)));
      }
      const seq = m.start + i;
      const payload = JSON.stringify({
        data: {
          gradeChanged: {
            cursor: `${seq.toString(36).padStart(12, '0')}.0000000000a1`,
            action: 'UPDATE',
            occurredAt: new Date().toISOString(),
            grade: {
              id: '0e5e1d9c-6a2b-4f7e-9d3a-2b8c4a1f0e11',
              score: seq % 100,
              note: `${seq}:${scheduled}`,
              student: { id: '7c1a8e2f-3b4d-4c5e-8f6a-9b0c1d2e3f40' },
              assessment: { id: '5d4c3b2a-1f0e-4d9c-8b7a-6e5f4d3c2b1a' },
            },
          },
        },
      });
      for (const s of subs) s.socket.send(`{"id":${JSON.stringify(s.id)},"type":"next","payload":${payload}}`);
    }
    process.send!({ type: 'sent' });
  });
}

async function main() {
  const N = option('subscribers', 2000);
  const G = option('generators', 2);
  const rate = option('rate', 30);
  const seconds = option('seconds', 5);
  const rounds = option('rounds', 3);
  const cursor = args.includes('--cursor');
  const load = () =>
    loadavg()
      .map((x) => x.toFixed(2))
      .join(' ');

  const { command, args: argv } = withAllOpenFiles('taskset', [
    '-c',
    '0',
    process.execPath,
    '--import',
    'tsx',
    fileURLToPath(import.meta.url),
    '--serve',
  ]);
  const server = spawn(command, argv, { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const replies: ((m: any) => void)[] = [];
  server.on('message', (m) => replies.shift()?.(m));
  const reply = () => new Promise<any>((r) => replies.push(r));
  const { port } = await reply();
  const gens = await startGenerators(G, '1');
  try {
    const cpu = () => gens.pids().reduce((s, pid) => s + cpuSeconds(pid), 0);
    // User time (JavaScript, the parser) apart from system time (the kernel's reads and epoll).
    const userSeconds = () =>
      gens.pids().reduce((s, pid) => {
        const f = readFileSync(`/proc/${pid}/stat`, 'utf8');
        return s + Number(f.slice(f.lastIndexOf(')') + 2).split(' ')[11]) / 100;
      }, 0);
    const c0 = cpu();
    const connected = await gens.connect({
      url: `ws://127.0.0.1:${port}/graphql`,
      courses: 1,
      query: 'subscription { x }',
      resumeWithCursor: cursor,
      subscribers: Array.from({ length: N }, (_, i) => ({ token: `t${i}`, courseId: 'c', courseIndex: 0 })),
    });
    const connectCpu = cpu() - c0;
    console.log(
      `${connected.connected} connected (${connected.failed} failed) in ${connected.ms} ms; generators ${round((connectCpu * 1e6) / N, 0)} µs CPU per connection; load ${load()}`,
    );
    await new Promise((r) => setTimeout(r, 500)); // every subscribe registered
    let seq = 0;
    for (let round_ = 1; round_ <= rounds; round_++) {
      const count = Math.round(rate * seconds);
      const start = seq;
      seq += count;
      await gens.phase(start, start + count);
      const g0 = cpu();
      const u0 = userSeconds();
      const s0 = cpuSeconds(server.pid!);
      server.send({ type: 'blast', start, count, rate });
      await reply();
      const expected = count * N;
      await awaitDeliveries(gens, expected, { quietMs: 3000, timeoutMs: 60_000, pollMs: 50 });
      const g1 = cpu();
      const u1 = userSeconds();
      const s1 = cpuSeconds(server.pid!);
      const report = await gens.report(new Array(count).fill(0), count);
      console.log(
        `round ${round_}: ${report.received}/${expected} frames (lost ${report.lost}, duplicated ${report.duplicated}); ` +
          `generators ${round(((g1 - g0) * 1e6) / report.received, 2)} µs CPU per frame (user ${round(((u1 - u0) * 1e6) / report.received, 2)}), stand-in server ${round(((s1 - s0) * 1e6) / report.received, 2)}; load ${load()}`,
      );
    }
  } finally {
    await gens.stop();
    server.send({ type: 'stop' });
  }
}
