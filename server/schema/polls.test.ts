/**
 * Voting: `openPoll`, `castVote`, `closePoll`, tallies and closing times.
 */
import type postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ApiHarness, codes, count, SAM, snapshot, startApi, TEACHER, UNKNOWN_ID } from '../../test/api/api';

let api: ApiHarness;
let sql: postgres.Sql;
const token = (email: string) => api.tokenFor(email);

beforeAll(async () => {
  api = await startApi();
  sql = api.sql;
});
afterAll(() => api?.stop());

describe('polls', () => {
  const OPEN = `mutation($c: ID!, $q: String!, $options: [String!]!, $closesAt: DateTime) {
    openPoll(courseId: $c, question: $q, options: $options, closesAt: $closesAt) { id question status closesAt totalVotes myVote options { id label votes } } }`;
  const VOTE = `mutation($p: ID!, $o: ID!) { castVote(pollId: $p, optionId: $o) { id status myVote totalVotes options { id label votes } } }`;
  const tally = (poll: { options: { label: string; votes: number }[] }) =>
    Object.fromEntries(poll.options.map((o) => [o.label, o.votes]));

  describe('openPoll refuses bad input and creates nothing', () => {
    it.each([
      ['fewer than two options', { q: 'Which?', options: ['Only one'] }, /2 to 20 options/],
      ['no options', { q: 'Which?', options: [] }, /2 to 20 options/],
      [
        'more than 20 options',
        { q: 'Which?', options: Array.from({ length: 21 }, (_, i) => `Option ${i}`) },
        /2 to 20 options/,
      ],
      ['duplicate options', { q: 'Which?', options: ['Yes', 'No', 'Yes'] }, 'Options must be different'],
      [
        'options that differ only in case or spaces',
        { q: 'Which?', options: ['Yes', ' yes '] },
        'Options must be different',
      ],
      ['an empty option', { q: 'Which?', options: ['Yes', '  '] }, /options must not be empty/],
      ['an empty question', { q: '   ', options: ['Yes', 'No'] }, 'question must not be empty'],
      [
        'a closing time in the past',
        { q: 'Which?', options: ['Yes', 'No'], closesAt: '2020-01-01T00:00:00Z' },
        'closesAt must be in the future',
      ],
      [
        'a closing time that is not a date',
        { q: 'Which?', options: ['Yes', 'No'], closesAt: 'tomorrow' },
        /DateTime must be an ISO-8601 string/,
      ],
    ])('%s', async (_what, variables, message) => {
      const before = await snapshot(sql, ['polls', 'poll_options', 'notifications']);
      const result = await api.gql(OPEN, { c: api.f.course('MATH101').id, ...variables }, await token(TEACHER));
      expect(codes(result)).toEqual(['BAD_USER_INPUT']);
      if (typeof message === 'string') expect(result.errors![0].message).toBe(message);
      else expect(result.errors![0].message).toMatch(message);
      expect(await snapshot(sql, ['polls', 'poll_options', 'notifications'])).toEqual(before);
    });
  });

  it('open → vote → change vote (still one ballot) → close; tallies follow, votes on a closed poll are refused', async () => {
    const course = api.f.course('MATH101');
    const closesAt = new Date(Date.now() + 24 * 3600_000).toISOString();
    const { openPoll: poll } = await api.ok(
      OPEN,
      { c: course.id, q: 'Field trip?', options: ['Museum', 'Zoo', 'Park'], closesAt },
      await token(TEACHER),
    );
    expect(poll).toMatchObject({ question: 'Field trip?', status: 'OPEN', closesAt, totalVotes: 0, myVote: null });
    expect(tally(poll)).toEqual({ Museum: 0, Zoo: 0, Park: 0 });
    const option = Object.fromEntries(poll.options.map((o: { id: string; label: string }) => [o.label, o.id]));

    // Every student of the course is told.
    const [{ n: told }] =
      await sql`select count(*)::int as n from notifications where kind = 'POLL_OPENED' and message like '%Field trip?%'`;
    expect(told).toBe(course.studentIds.length);

    const sam = await token(SAM);
    const other = await token('student01@homeroom.test');
    let voted = (await api.ok(VOTE, { p: poll.id, o: option.Museum }, sam)).castVote;
    expect(voted).toMatchObject({ myVote: option.Museum, totalVotes: 1 });
    voted = (await api.ok(VOTE, { p: poll.id, o: option.Museum }, other)).castVote;
    expect(tally(voted)).toEqual({ Museum: 2, Zoo: 0, Park: 0 });

    // Sam changes their mind: still one ballot.
    voted = (await api.ok(VOTE, { p: poll.id, o: option.Zoo }, sam)).castVote;
    expect(voted).toMatchObject({ myVote: option.Zoo, totalVotes: 2 });
    expect(tally(voted)).toEqual({ Museum: 1, Zoo: 1, Park: 0 });
    expect(
      await sql`select option_id from ballots where poll_id = ${poll.id} and voter_id = ${api.f.user(SAM)}`,
    ).toEqual([{ option_id: option.Zoo }]);
    // Voting the same option again changes nothing.
    expect(tally((await api.ok(VOTE, { p: poll.id, o: option.Zoo }, sam)).castVote)).toEqual({
      Museum: 1,
      Zoo: 1,
      Park: 0,
    });

    // Everyone reads the same tallies; each sees their own vote.
    const read = async (bearer: string) =>
      (
        await api.ok(
          `query($id: ID!) { course(id: $id) { polls { id myVote totalVotes options { label votes } } } }`,
          { id: course.id },
          bearer,
        )
      ).course.polls.find((p: { id: string }) => p.id === poll.id);
    expect(await read(other)).toMatchObject({ myVote: option.Museum, totalVotes: 2 });
    expect(await read(await token(TEACHER))).toMatchObject({ myVote: null, totalVotes: 2 });

    // An option of another poll is not an option of this one.
    const before = await snapshot(sql, ['ballots']);
    const foreign = await api.refused(
      VOTE,
      { p: poll.id, o: course.poll.options['Friday morning'] },
      sam,
      'BAD_USER_INPUT',
    );
    expect(foreign.message).toBe('That option is not part of this poll');
    await api.refused(VOTE, { p: poll.id, o: 'museum' }, sam, 'BAD_USER_INPUT');
    await api.refused(VOTE, { p: UNKNOWN_ID, o: option.Park }, sam, 'NOT_FOUND');

    const { closePoll } = await api.ok(
      `mutation($id: ID!) { closePoll(id: $id) { id status totalVotes } }`,
      { id: poll.id },
      await token(TEACHER),
    );
    expect(closePoll).toEqual({ id: poll.id, status: 'CLOSED', totalVotes: 2 });
    const closed = await api.refused(VOTE, { p: poll.id, o: option.Park }, sam, 'BAD_USER_INPUT');
    expect(closed.message).toBe('This poll is closed');
    expect(await snapshot(sql, ['ballots'])).toEqual(before);

    // Closing again is harmless.
    expect(
      (await api.ok(`mutation($id: ID!) { closePoll(id: $id) { status } }`, { id: poll.id }, await token(TEACHER)))
        .closePoll.status,
    ).toBe('CLOSED');
  });

  it('a poll past its closing time reads CLOSED and refuses votes, even before anyone closes it', async () => {
    const course = api.f.course('MATH101');
    const [poll] = await sql<{ id: string }[]>`
      insert into polls (course_id, question, closes_at) values (${course.id}, 'Expired?', now() - interval '1 minute') returning id`;
    const [a] = await sql<
      { id: string }[]
    >`insert into poll_options (poll_id, label, position) values (${poll.id}, 'a', 0), (${poll.id}, 'b', 1) returning id`;
    const { course: view } = await api.ok(
      `query($id: ID!) { course(id: $id) { polls { id status } } }`,
      { id: course.id },
      await token(SAM),
    );
    expect(view.polls.find((p: { id: string }) => p.id === poll.id).status).toBe('CLOSED');
    await api.refused(VOTE, { p: poll.id, o: a.id }, await token(SAM), 'BAD_USER_INPUT');
    expect(await count(sql, 'ballots')).toBeGreaterThan(0);
    expect(await sql`select 1 from ballots where poll_id = ${poll.id}`).toHaveLength(0);
  });
});
