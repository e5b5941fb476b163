'use client';
import { useState } from 'react';
import { useMutation, useQuery } from 'urql';
import type { Poll } from '../../lib/documents';
import { CastVoteMutation, ClosePollMutation, OpenPollMutation, PollsQuery } from '../../lib/documents';
import { Empty, ErrorNote, formatDateTime, Loading } from '../status';
import { InlineForm } from './inline-form';

function PollCard({ poll, manage }: { poll: Poll; manage: boolean }) {
  const [vote, castVote] = useMutation(CastVoteMutation);
  const [close, closePoll] = useMutation(ClosePollMutation);
  const open = poll.status === 'OPEN';
  const canVote = open && !manage;
  const headingId = `poll-${poll.id}`;
  return (
    <article className="card poll" aria-labelledby={headingId} data-testid="poll">
      <header className="row-between">
        <h3 id={headingId}>{poll.question}</h3>
        <span className={`pill ${open ? 'pill-open' : 'pill-closed'}`}>{open ? 'Open' : 'Closed'}</span>
      </header>
      <p className="muted small">
        {poll.totalVotes} {poll.totalVotes === 1 ? 'vote' : 'votes'}
        {poll.closesAt && ` · ${open ? 'closes' : 'closed'} ${formatDateTime(poll.closesAt)}`}
        {canVote &&
          (poll.myVote ? ' · you can change your vote while the poll is open' : ' · choose an option to vote')}
      </p>
      <ul className="options">
        {poll.options.map((o) => {
          const pct = poll.totalVotes ? Math.round((o.votes / poll.totalVotes) * 100) : 0;
          const mine = poll.myVote === o.id;
          const tally = `${o.votes} ${o.votes === 1 ? 'vote' : 'votes'}, ${pct}%`;
          return (
            <li key={o.id} className={`option${mine ? ' is-mine' : ''}`} data-testid="poll-option">
              {canVote ? (
                <button
                  type="button"
                  className="option-button"
                  aria-pressed={mine}
                  aria-label={`Vote for ${o.label} (${tally})`}
                  onClick={() => castVote({ pollId: poll.id, optionId: o.id })}
                >
                  <span className="option-label">
                    {o.label}
                    {mine && <span className="pill pill-mine">Your vote</span>}
                  </span>
                  <span className="option-tally">{tally}</span>
                </button>
              ) : (
                <div className="option-static">
                  <span className="option-label">
                    {o.label}
                    {mine && <span className="pill pill-mine">Your vote</span>}
                  </span>
                  <span className="option-tally">{tally}</span>
                </div>
              )}
              <span className="bar" aria-hidden="true">
                <span className="bar-fill" style={{ width: `${pct}%` }} />
              </span>
            </li>
          );
        })}
      </ul>
      {vote.error && <ErrorNote error={vote.error} />}
      {manage && open && (
        <div className="actions">
          <button type="button" className="btn" disabled={close.fetching} onClick={() => closePoll({ id: poll.id })}>
            Close poll
          </button>
          {close.error && <ErrorNote error={close.error} />}
        </div>
      )}
    </article>
  );
}

function OpenPollForm({ courseId }: { courseId: string }) {
  const [question, setQuestion] = useState('');
  const [options, setOptions] = useState(['', '']);
  const [{ fetching, error }, openPoll] = useMutation(OpenPollMutation);
  const filled = options.map((o) => o.trim()).filter(Boolean);

  async function onSubmit() {
    const r = await openPoll({ courseId, question: question.trim(), options: filled });
    if (!r.data) return false;
    setQuestion('');
    setOptions(['', '']);
    return true;
  }
  return (
    <InlineForm
      openLabel="New poll"
      formLabel="New poll"
      submitLabel="Open poll"
      canSubmit={!fetching && Boolean(question.trim()) && filled.length >= 2}
      error={error}
      onSubmit={onSubmit}
      extraActions={
        <button type="button" className="btn btn-quiet" onClick={() => setOptions([...options, ''])}>
          Add option
        </button>
      }
    >
      <label className="field">
        <span>Question</span>
        <input value={question} onChange={(e) => setQuestion(e.target.value)} required autoFocus />
      </label>
      {options.map((o, i) => (
        // biome-ignore lint/suspicious/noArrayIndexKey: options are positional while the poll is drafted
        <label className="field" key={i}>
          <span>Option {i + 1}</span>
          <input value={o} onChange={(e) => setOptions(options.map((x, j) => (j === i ? e.target.value : x)))} />
        </label>
      ))}
    </InlineForm>
  );
}

export function PollsTab({ courseId, manage }: { courseId: string; manage: boolean }) {
  const [{ data, error, fetching }, refetch] = useQuery({ query: PollsQuery, variables: { id: courseId } });
  if (fetching && !data) return <Loading label="Loading polls…" />;
  if (!data?.course) return <ErrorNote error={error} retry={() => refetch({ requestPolicy: 'network-only' })} />;
  const polls = data.course.polls;
  return (
    <div className="stack">
      <div className="row-between">
        <h2>Polls</h2>
        {manage && <OpenPollForm courseId={courseId} />}
      </div>
      {polls.length === 0 ? (
        <Empty>No polls yet.</Empty>
      ) : (
        <div className="stack">
          {polls.map((p) => (
            <PollCard key={p.id} poll={p} manage={manage} />
          ))}
        </div>
      )}
    </div>
  );
}
