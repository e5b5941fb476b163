import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import postgres from 'postgres';
import { type WebSocket, WebSocketServer } from 'ws';
import { createTokenService } from '../../server/auth/tokens';
import { type Cursor, formatCursor } from '../../server/live/cursor';
import { cursorOfRow } from '../../server/live/event';
import { createOutboxReader } from '../../server/live/outbox';
import { serveControl } from './control';

/**
 * The ceiling: the least a Node process must do to deliver the same events to the same sockets.
 * Fed by the same outbox (LISTEN wake-up + sweep, outbox_order() then rows in cursor order), one query per
 * batch for the grade rows, one JSON payload per event, then a string concatenation and
 * `socket.send` per subscriber. It speaks just enough graphql-transport-ws for the same client:
 * token check at connection_init, course membership at subscribe, no GraphQL execution.
 */
const env = process.env;
const sql = postgres(env.DATABASE_URL!, { max: 4, onnotice: () => {} });
const reader = createOutboxReader(sql);
const tokens = createTokenService({
  secret: env.JWT_SECRET!,
  ttlSeconds: 900,
  renewGraceSeconds: 0,
  maxSessionSeconds: 86_400,
});

type Sub = { socket: WebSocket; id: string };
const byCourse = new Map<string, Set<Sub>>();

const server = createServer((_req, res) => res.writeHead(404).end());
const wss = new WebSocketServer({ server, path: '/graphql' });
wss.on('connection', (socket) => {
  let userId: string | null = null;
  const mine = new Map<string, { courseId: string; sub: Sub }>();
  socket.on('message', async (data) => {
    const msg = JSON.parse(String(data)) as { type: string; id?: string; payload?: any };
    if (msg.type === 'connection_init') {
      const raw = msg.payload?.authorization;
      const check = typeof raw === 'string' ? await tokens.verify(raw.replace(/^Bearer\s+/i, '')) : null;
      if (!check?.ok) return socket.close(4403, 'Forbidden');
      userId = check.claims.userId;
      socket.send('{"type":"connection_ack"}');
    } else if (msg.type === 'ping') {
      socket.send('{"type":"pong"}');
    } else if (msg.type === 'subscribe' && userId && msg.id) {
      const courseId = String(msg.payload?.variables?.c ?? '');
      const [member] =
        await sql`select 1 from teaching_assignments where course_id = ${courseId} and instructor_id = ${userId}`;
      if (!member)
        return socket.send(JSON.stringify({ id: msg.id, type: 'error', payload: [{ message: 'Forbidden' }] }));
      const sub = { socket, id: msg.id };
      let set = byCourse.get(courseId);
      if (!set) byCourse.set(courseId, (set = new Set()));
      set.add(sub);
      mine.set(msg.id, { courseId, sub });
    } else if (msg.type === 'complete' && msg.id) {
      const entry = mine.get(msg.id);
      if (entry) byCourse.get(entry.courseId)?.delete(entry.sub);
      mine.delete(msg.id);
    }
  });
  socket.on('close', () => {
    for (const { courseId, sub } of mine.values()) byCourse.get(courseId)?.delete(sub);
  });
});

let last: Cursor = await reader.currentCursor();
let running = false;
let again = false;

async function drain() {
  if (running) return void (again = true);
  running = true;
  try {
    do {
      again = false;
      await reader.order(); // no relay here: give committed transactions their positions first
      const rows = await reader.readAfter(last, 500, { topics: ['grade'] });
      if (rows.length === 0) break;
      last = cursorOfRow(rows.at(-1)!);
      const ids = rows.map((r) => r.entity_id);
      const grades = await sql<
        { id: string; score: number; note: string | null; student_id: string; assessment_id: string }[]
      >`
        select id, score, note, student_id, assessment_id from grades where id = any(${ids}::uuid[])`;
      const byId = new Map(grades.map((g) => [g.id, g]));
      for (const row of rows) {
        const g = byId.get(row.entity_id);
        const payload = JSON.stringify({
          data: {
            gradeChanged: {
              cursor: formatCursor(cursorOfRow(row)),
              action: row.action,
              occurredAt: new Date(row.created_at).toISOString(),
              grade: g
                ? {
                    id: g.id,
                    score: g.score,
                    note: g.note,
                    student: { id: g.student_id },
                    assessment: { id: g.assessment_id },
                  }
                : null,
            },
          },
        });
        const subs = row.course_id ? byCourse.get(row.course_id) : undefined;
        if (subs)
          for (const s of subs) s.socket.send(`{"id":${JSON.stringify(s.id)},"type":"next","payload":${payload}}`);
      }
      if (rows.length === 500) again = true;
    } while (again);
  } finally {
    running = false;
  }
}

const listener = await sql.listen('outbox', () => void drain());
const sweep = setInterval(() => void drain(), 500);

// The same accept queue as Homeroom's (server/app.ts).
server.listen({ port: Number(env.PORT ?? 0), host: '127.0.0.1', backlog: 4096 }, () => {
  serveControl((server.address() as AddressInfo).port, async () => {
    clearInterval(sweep);
    await listener.unlisten();
    for (const socket of wss.clients) socket.terminate();
    wss.close();
    server.close();
    await sql.end({ timeout: 5 });
  });
});
