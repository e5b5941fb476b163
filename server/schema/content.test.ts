/**
 * The course feed: posts and comments, paging, announcements.
 */
import type postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ApiHarness, SAM, startApi, TEACHER, TEACHER2, UNKNOWN_ID } from '../../test/api/api';

let api: ApiHarness;
let sql: postgres.Sql;
const token = (email: string) => api.tokenFor(email);

beforeAll(async () => {
  api = await startApi();
  sql = api.sql;
});
afterAll(() => api?.stop());

describe('posts and comments', () => {
  const FEED = `query($id: ID!, $first: Int, $after: String) {
    course(id: $id) { posts(first: $first, after: $after) { totalCount pageInfo { hasNextPage endCursor } edges { cursor node { id body createdAt } } } } }`;
  const POST = `mutation($c: ID!, $body: String!, $announcement: Boolean) { createPost(courseId: $c, body: $body, announcement: $announcement) { id body announcement createdAt author { id } } }`;
  type Page = {
    totalCount: number;
    pageInfo: { hasNextPage: boolean; endCursor: string | null };
    edges: { cursor: string; node: { id: string; body: string; createdAt: string } }[];
  };

  async function readAll(courseId: string, first: number, bearer: string, between?: () => Promise<void>) {
    const ids: string[] = [];
    const createdAt: string[] = [];
    let after: string | null = null;
    for (let pages = 1; ; pages++) {
      expect(pages, 'pagination does not end').toBeLessThan(100);
      const page: Page = (await api.ok(FEED, { id: courseId, first, after }, bearer)).course.posts;
      expect(page.edges.length).toBeLessThanOrEqual(first);
      ids.push(...page.edges.map((e) => e.node.id));
      createdAt.push(...page.edges.map((e) => e.node.createdAt));
      if (page.edges.length) expect(page.pageInfo.endCursor).toBe(page.edges.at(-1)!.cursor);
      if (!page.pageInfo.hasNextPage) return { ids, createdAt, pages };
      after = page.pageInfo.endCursor;
      if (pages === 1) await between?.();
    }
  }

  it('pages through the feed newest first with first/after: every post once, stable while new posts arrive', async () => {
    const course = api.f.course('PHYS110');
    const author = api.f.user(TEACHER2);
    // 23 posts a minute apart (plus the seed's 2), written directly so their times are known.
    await sql`insert into posts (course_id, author_id, body, created_at)
              select ${course.id}, ${author}, 'Post ' || i, now() - make_interval(mins => 100 + i) from generate_series(1, 23) i`;
    const all = await sql<
      { id: string }[]
    >`select id from posts where course_id = ${course.id} order by created_at desc, id desc`;
    expect(all).toHaveLength(25);
    const bearer = await token(TEACHER2);

    // A new post arrives after the first page: later pages neither repeat nor skip the older ones.
    let arrived = '';
    const feed = await readAll(course.id, 4, bearer, async () => {
      arrived = (await api.ok(POST, { c: course.id, body: 'Breaking news' }, bearer)).createPost.id;
    });
    expect(feed.ids).not.toContain(arrived);
    expect(feed.ids).toEqual(all.map((r) => r.id));
    expect(new Set(feed.ids).size).toBe(feed.ids.length);
    expect(feed.pages).toBe(7);
    const times = feed.createdAt.map((t) => new Date(t).getTime());
    expect(times).toEqual([...times].sort((a, b) => b - a));

    // Read again from the top: the new post comes first; totalCount counts it.
    const first: Page = (await api.ok(FEED, { id: course.id, first: 2 }, bearer)).course.posts;
    expect(first.edges[0].node.id).toBe(arrived);
    expect(first.totalCount).toBe(26);
  });

  it('pages completely through posts written in one transaction (identical microsecond timestamps)', async () => {
    // Regression: cursors once carried created_at rounded to milliseconds and skipped such rows.
    const [course] = await sql<
      { id: string }[]
    >`insert into courses (code, title) values ('IMPORT1', 'Imported') returning id`;
    const author = api.f.user(TEACHER2);
    await sql`insert into teaching_assignments (course_id, instructor_id) values (${course.id}, ${author})`;
    await sql`insert into posts (course_id, author_id, body, created_at)
              select ${course.id}, ${author}, 'Imported ' || i, '2031-01-01 10:00:00.123456+00' from generate_series(1, 5) i`;
    await sql`insert into posts (course_id, author_id, body, created_at) values (${course.id}, ${author}, 'Older', '2031-01-01 10:00:00.123+00')`;
    const all = await sql<
      { id: string }[]
    >`select id from posts where course_id = ${course.id} order by created_at desc, id desc`;
    for (const first of [1, 2, 5]) {
      const feed = await readAll(course.id, first, await token(TEACHER2));
      expect(feed.ids, `first: ${first}`).toEqual(all.map((r) => r.id));
    }
  });

  it.each([
    ['first: 0', { first: 0 }],
    ['first: 101', { first: 101 }],
    ['first: -1', { first: -1 }],
    ['a garbage cursor', { after: 'not-a-cursor' }],
  ])('refuses %s with BAD_USER_INPUT', async (_what, args) => {
    await api.refused(FEED, { id: api.f.course('MATH101').id, ...args }, await token(SAM), 'BAD_USER_INPUT');
  });

  // Issue 18.5: a cursor naming a row of another course paged from that row's timestamp (proof that
  // it existed, and when). A cursor is now a position (time, id) read from nothing but itself.
  it("a cursor is a position, not a reference: another course's post id in it reveals nothing", async () => {
    const math = api.f.course('MATH101');
    const bearer = await token(SAM);
    const [foreign] = await sql<{ id: string }[]>`
      insert into posts (course_id, author_id, body) values (${api.f.course('PHYS110').id}, ${api.f.user(TEACHER2)}, 'Lab 3') returning id`;
    const at = (id: string) => Buffer.from(`${BigInt(Date.now()) * 1000n}:${id}`).toString('base64url');
    const pageFrom = async (id: string) =>
      (await api.ok(FEED, { id: math.id, first: 5, after: at(id) }, bearer)).course.posts.edges.map(
        (e: { node: { id: string } }) => e.node.id,
      );
    // Only MATH101's own posts, and the same ones whichever id the cursor carries.
    const withForeign = await pageFrom(foreign.id);
    expect(withForeign).toEqual(await pageFrom('00000000-0000-4000-8000-00000000dead'));
    const mine = await sql<{ id: string }[]>`select id from posts where course_id = ${math.id}`;
    expect(withForeign.every((id: string) => mine.some((p) => p.id === id))).toBe(true);
    // Not a cursor of this API (an id alone, as cursors were before): refused.
    await api.refused(
      FEED,
      { id: math.id, after: Buffer.from(foreign.id).toString('base64url') },
      bearer,
      'BAD_USER_INPUT',
    );
  });

  it('the next page still loads when the last post read was deleted meanwhile', async () => {
    const math = api.f.course('MATH101');
    const bearer = await token(TEACHER);
    for (const body of ['Old one', 'Middle one', 'New one']) await api.ok(POST, { c: math.id, body }, bearer);
    const first = (await api.ok(FEED, { id: math.id, first: 2 }, bearer)).course.posts as Page;
    const last = first.edges.at(-1)!.node;
    await sql`delete from posts where id = ${last.id}`;
    const next = (await api.ok(FEED, { id: math.id, first: 1, after: first.pageInfo.endCursor }, bearer)).course
      .posts as Page;
    expect(next.edges[0].node.body).toBe('Old one');
  });

  it('comments: created in order, counted, by their author', async () => {
    const course = api.f.course('MATH101');
    const { createPost: post } = await api.ok(POST, { c: course.id, body: 'Who has the notes?' }, await token(SAM));
    expect(post).toMatchObject({ body: 'Who has the notes?', announcement: false, author: { id: api.f.user(SAM) } });
    const COMMENT = `mutation($p: ID!, $body: String!) { createComment(postId: $p, body: $body) { id body author { id } post { id } } }`;
    await api.ok(COMMENT, { p: post.id, body: 'I do' }, await token('student02@homeroom.test'));
    await api.ok(COMMENT, { p: post.id, body: 'Sharing them after class' }, await token(TEACHER));
    await api.refused(COMMENT, { p: UNKNOWN_ID, body: 'Hello?' }, await token(SAM), 'NOT_FOUND');
    await api.refused(COMMENT, { p: 'post-1', body: 'Hello?' }, await token(SAM), 'BAD_USER_INPUT');
    const { course: view } = await api.ok(
      `query($id: ID!) { course(id: $id) { posts(first: 1) { edges { node { id commentCount comments { body author { email } } } } } } }`,
      { id: course.id },
      await token(SAM),
    );
    expect(view.posts.edges[0].node).toEqual({
      id: post.id,
      commentCount: 2,
      comments: [
        { body: 'I do', author: { email: 'student02@homeroom.test' } },
        { body: 'Sharing them after class', author: { email: TEACHER } },
      ],
    });
  });

  it('an announcement notifies the course (everyone but its author)', async () => {
    const course = api.f.course('HIST201');
    const { createPost } = await api.ok(
      POST,
      { c: course.id, body: 'No class on Friday', announcement: true },
      await token(TEACHER2),
    );
    expect(createPost.announcement).toBe(true);
    const rows = await sql<
      { user_id: string }[]
    >`select user_id from notifications where kind = 'ANNOUNCEMENT' and message like '%No class on Friday%'`;
    expect(new Set(rows.map((r) => r.user_id))).toEqual(new Set(course.studentIds));
  });
});
