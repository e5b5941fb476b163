import { expect, test } from '@playwright/test';
import { apiLogin, shot, signedInPage } from './fixtures';
import { bellSays, mathCourse, recordGrade, socketSwitch, status, unreadCount, waitLive } from './live';
import { shortLivedSession } from './tokens';

// The hard cases: the socket dies (silently, or abruptly), the token expires under a live socket.
// Each time the page must keep showing changes (polling while the socket is down), come back to
// Live, and apply every change exactly once: the bell's unread count is the witness, since a
// duplicated notification event would count twice.

const grades = (courseId: string) => `/courses/${courseId}?tab=grades`;
/** `n` different whole scores in [from, to], none equal to `avoid`. */
function scores(n: number, from: number, to: number, avoid: number[] = []): number[] {
  const out: number[] = [];
  while (out.length < n) {
    const v = from + Math.floor(Math.random() * (to - from + 1));
    if (!out.includes(v) && !avoid.includes(v)) out.push(v);
  }
  return out;
}
const shown = (text: string | null) => Number.parseFloat(text ?? '');

test('socket down: "Offline — polling" keeps updates coming; back to Live, what happened meanwhile shows exactly once', async ({
  browser,
}) => {
  test.slow(); // a dead socket takes up to ~15 s to notice, by design
  const course = await mathCourse();
  const sam = course.student('student');
  const [midterm, quiz] = [course.assessment('Midterm'), course.assessment('Quiz 1')];
  let net!: Awaited<ReturnType<typeof socketSwitch>>;
  const page = await signedInPage(browser, 'student', {
    path: grades(course.id),
    prepare: async (c) => void (net = await socketSwitch(c)),
  });
  await waitLive(page);
  const before = await unreadCount(page);
  const [a, b, c, d] = scores(4, 40, 99, [shown(await page.getByTestId('grade-midterm').textContent())]);
  const [q] = scores(1, 0, 10, [shown(await page.getByTestId('grade-quiz-1').textContent())]);
  const { token } = await apiLogin('instructor');
  const refresh = page.getByRole('button', { name: 'Check for updates now' });

  // 1. The link goes dead without a close: the keep-alive ping notices (ping every 10 s, 5 s to answer).
  net.freeze();
  const frozenAt = Date.now();
  await expect(status(page)).toHaveText(/^(Reconnecting|Offline — polling)/, { timeout: 20_000 });
  test.info().annotations.push({ type: 'dead socket noticed', description: `${Date.now() - frozenAt} ms` });
  await expect(status(page)).toHaveText(/^Offline — polling/, { timeout: 10_000 });

  // 2. Changes keep arriving by polling: on the 10 s timer, and at once with the refresh button.
  await recordGrade(token, midterm.id, sam.id, a);
  await expect(page.getByTestId('grade-midterm')).toHaveText(`${a} / 100`, { timeout: 15_000 });
  await page.screenshot({ path: shot('live-offline-polling') });
  await recordGrade(token, quiz.id, sam.id, q);
  await refresh.click();
  await expect(page.getByTestId('grade-quiz-1')).toHaveText(`${q} / 10`, { timeout: 5_000 });
  await expect(status(page)).toHaveText(/^Offline — polling/);

  // 3. A change nobody has fetched yet, then the link returns: the refresh button retries the
  //    socket at once (as the browser's `online` event does), which resumes from the cursor.
  await recordGrade(token, midterm.id, sam.id, b);
  net.restore();
  await refresh.click();
  await waitLive(page, 10_000);
  await expect(page.getByTestId('grade-midterm')).toHaveText(`${b} / 100`);
  await page.screenshot({ path: shot('live-back-live') });

  // 4. An abrupt cut the browser sees at once: "Reconnecting", then back by itself; the change
  //    made while the socket was away arrives once (replayed from the cursor, or polled).
  await net.cut();
  await expect(status(page)).toHaveText(/^(Reconnecting|Offline — polling)/, { timeout: 5_000 });
  await page.screenshot({ path: shot('live-reconnecting') });
  await recordGrade(token, midterm.id, sam.id, c);
  net.restore();
  await waitLive(page, 15_000);
  await expect(page.getByTestId('grade-midterm')).toHaveText(`${c} / 100`, { timeout: 15_000 });

  // 5. Live again: the next change comes through the socket within a second or so.
  await recordGrade(token, midterm.id, sam.id, d);
  await expect(page.getByTestId('grade-midterm')).toHaveText(`${d} / 100`, { timeout: 5_000 });

  // Five grades, five notifications: each counted once, whichever way it came.
  await bellSays(page, before + 5);
  await expect(page.getByTestId('toast').filter({ hasText: `Midterm: ${d}/100` })).toHaveCount(1);
  expect(net.opened).toBeGreaterThanOrEqual(3);
  await page.context().close();
});

test('a token that expires under a live socket: the API closes it (4403), the app renews, resumes and loses nothing', async ({
  browser,
}) => {
  const course = await mathCourse();
  const sam = course.student('student');
  const midterm = course.assessment('Midterm');
  // The token really expires in 12 s, but the app is told an hour: no renewal is scheduled, as if
  // the tab had slept through it. Only the API's 4403 close can tell the app.
  const session = await shortLivedSession(await apiLogin('student'), 12, new Date(Date.now() + 3600_000));
  let net!: Awaited<ReturnType<typeof socketSwitch>>;
  const page = await signedInPage(browser, 'student', {
    session,
    path: grades(course.id),
    prepare: async (c) => void (net = await socketSwitch(c)),
  });
  await waitLive(page);
  const before = await unreadCount(page);
  const [s1, s2, s3, s4] = scores(4, 40, 99, [shown(await page.getByTestId('grade-midterm').textContent())]);
  const { token } = await apiLogin('instructor');

  await recordGrade(token, midterm.id, sam.id, s1);
  await expect(page.getByTestId('grade-midterm')).toHaveText(`${s1} / 100`, { timeout: 5_000 });
  expect(net.opened).toBe(1);

  // Changes right at the moment the API closes the socket, and while the app renews.
  await expect.poll(() => Date.now(), { timeout: 20_000, intervals: [100] }).toBeGreaterThan(session.realExpiry - 300);
  await recordGrade(token, midterm.id, sam.id, s2);
  await recordGrade(token, midterm.id, sam.id, s3);

  const storedToken = () =>
    page.evaluate(() => (JSON.parse(localStorage.getItem('homeroom.session') ?? '{}') as { token?: string }).token);
  await expect.poll(storedToken, { timeout: 10_000 }).not.toBe(session.token);
  await expect.poll(() => net.opened, { timeout: 10_000 }).toBeGreaterThan(1);
  await waitLive(page);
  await expect(page.getByTestId('grade-midterm')).toHaveText(`${s3} / 100`, { timeout: 5_000 });

  await recordGrade(token, midterm.id, sam.id, s4);
  await expect(page.getByTestId('grade-midterm')).toHaveText(`${s4} / 100`, { timeout: 5_000 });
  await bellSays(page, before + 4);
  await expect(page).toHaveURL(/\/courses\//); // still signed in, same page
  await page.screenshot({ path: shot('live-after-token-renewal') });
  await page.context().close();
});

test('a hidden tab pings the API rarely; shown again it checks the socket at once', async ({ browser }) => {
  const course = await mathCourse();
  const pings: number[] = [];
  const page = await signedInPage(browser, 'student', {
    path: grades(course.id),
    prepare: async (context) => {
      // The test decides whether the page is visible (a headless page always is).
      await context.addInitScript(() => {
        let state: DocumentVisibilityState = 'visible';
        Object.defineProperty(document, 'visibilityState', { get: () => state, configurable: true });
        Object.defineProperty(document, 'hidden', { get: () => state === 'hidden', configurable: true });
        (window as unknown as { setVisibility: (s: DocumentVisibilityState) => void }).setVisibility = (s) => {
          state = s;
          document.dispatchEvent(new Event('visibilitychange'));
        };
      });
      context.on('page', (p) =>
        p.on('websocket', (ws) =>
          ws.on('framesent', (f) => String(f.payload).includes('"ping"') && pings.push(Date.now())),
        ),
      );
    },
  });
  await waitLive(page);
  const setVisibility = (s: DocumentVisibilityState) =>
    page.evaluate((v) => (window as unknown as { setVisibility: (s: string) => void }).setVisibility(v), s);

  await setVisibility('hidden');
  const hiddenAt = Date.now();
  // Visible, the app pings every 10 s: two or three pings in this time; hidden, every 60 s (the
  // ping due is moved when the tab is hidden).
  await page.waitForTimeout(22_000);
  expect(pings.filter((t) => t > hiddenAt)).toHaveLength(0);

  const shownAt = Date.now();
  await setVisibility('visible');
  await expect.poll(() => pings.filter((t) => t >= shownAt).length, { timeout: 3_000 }).toBeGreaterThan(0);
  await expect(status(page)).toHaveText(/^Live/);
  await page.context().close();
});
