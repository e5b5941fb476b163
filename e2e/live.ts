/** Helpers for the live-update specs: the course, API writes, the indicator and the socket switch. */
import { type BrowserContext, expect, type Page, type WebSocketRoute } from '@playwright/test';
import { apiLogin, emailOf, gql } from './fixtures';

export type Course = {
  id: string;
  code: string;
  students: { id: string; email: string; name: string }[];
  assessments: { id: string; title: string; maxScore: number }[];
  student: (who: string) => { id: string; email: string; name: string };
  assessment: (title: string) => { id: string; title: string; maxScore: number };
};

/** MATH101: taught by instructor@, with student@ and student01@… enrolled (read through the API). */
export async function mathCourse(): Promise<Course> {
  const { token } = await apiLogin('instructor');
  const { courses } = await gql<{ courses: Omit<Course, 'student' | 'assessment'>[] }>(
    `{ courses { id code students { id email name } assessments { id title maxScore } } }`,
    {},
    token,
  );
  const course = courses.find((c) => c.code === 'MATH101')!;
  return {
    ...course,
    student: (who) => course.students.find((s) => s.email === emailOf(who as never))!,
    assessment: (title) => course.assessments.find((a) => a.title === title)!,
  };
}

export async function recordGrade(token: string, assessmentId: string, studentId: string, score: number) {
  await gql(
    `mutation ($a: ID!, $s: ID!, $score: Float!) { recordGrade(assessmentId: $a, studentId: $s, score: $score) { id } }`,
    { a: assessmentId, s: studentId, score },
    token,
  );
}

export async function currentScore(token: string, courseId: string, title: string): Promise<number | null> {
  const { course } = await gql<{ course: { assessments: { title: string; myGrade: { score: number } | null }[] } }>(
    `query ($id: ID!) { course(id: $id) { assessments { title myGrade { score } } } }`,
    { id: courseId },
    token,
  );
  return course.assessments.find((a) => a.title === title)?.myGrade?.score ?? null;
}

export const status = (page: Page) => page.getByTestId('connection-status');
export const waitLive = (page: Page, timeout = 15_000) => expect(status(page)).toHaveText(/^Live/, { timeout });

/** The unread count the bell announces ("Notifications, 3 unread"). */
export async function unreadCount(page: Page): Promise<number> {
  const bell = page.getByTestId('notification-bell');
  await expect(bell).toHaveAttribute('aria-label', /\d+ unread/); // loaded
  const label = (await bell.getAttribute('aria-label')) ?? '';
  return Number(/(\d+) unread/.exec(label)?.[1] ?? NaN);
}
export const bellSays = (page: Page, n: number) =>
  expect(page.getByTestId('notification-bell')).toHaveAttribute('aria-label', `Notifications, ${n} unread`);

/** Every frame the page's WebSockets receive (install with `prepare` before the page loads). */
export function recordFrames(context: BrowserContext): string[] {
  const frames: string[] = [];
  context.on('page', (page) =>
    page.on('websocket', (ws) => ws.on('framereceived', (f) => frames.push(String(f.payload)))),
  );
  return frames;
}

/**
 * A switch between the page and the API's WebSocket. `cut()`: the sockets close at once and new
 * ones are refused (a dropped network the browser notices). `freeze()`: open sockets go silent in
 * both directions without closing (a dead link only keep-alive pings reveal) and new ones are
 * refused. `restore()`: new sockets reach the API again.
 */
export async function socketSwitch(context: BrowserContext) {
  let mode: 'pass' | 'cut' | 'frozen' = 'pass';
  const open = new Set<WebSocketRoute>();
  let opened = 0;
  await context.routeWebSocket(
    (url) => url.pathname === '/graphql',
    (ws) => {
      if (mode !== 'pass') {
        void ws.close({ code: 4000, reason: 'test: network down' });
        return;
      }
      opened += 1;
      const server = ws.connectToServer();
      open.add(ws);
      ws.onMessage((m) => mode === 'pass' && server.send(m));
      server.onMessage((m) => mode === 'pass' && ws.send(m));
      ws.onClose((code, reason) => {
        open.delete(ws);
        void server.close({ code, reason });
      });
      server.onClose((code, reason) => {
        open.delete(ws);
        void ws.close({ code, reason });
      });
    },
  );
  return {
    get opened() {
      return opened;
    },
    async cut() {
      mode = 'cut';
      for (const ws of [...open]) await ws.close({ code: 4000, reason: 'test: network down' });
    },
    freeze() {
      mode = 'frozen';
    },
    restore() {
      mode = 'pass';
    },
  };
}
