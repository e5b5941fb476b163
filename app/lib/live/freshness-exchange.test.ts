// freshnessExchange between a client and a network whose answers the test releases by hand, so
// "read before the event, answered after it" can be staged exactly.
import { Client, type Exchange, makeResult, type Operation, type OperationResult } from '@urql/core';
import { describe, expect, it } from 'vitest';
import { filter, makeSubject, map, merge, pipe } from 'wonka';
import { graphql } from '../graphql';
import { freshnessExchange } from './freshness-exchange';

const PollsQuery = graphql(`query FreshnessPolls($id: ID!) { course(id: $id) { id title } }`);

function harness(staleRereads = 3) {
  let applied = 0;
  const sent: Operation[] = [];
  const answers = makeSubject<OperationResult>();
  const network: Exchange = () => (ops$) =>
    merge([
      pipe(
        ops$,
        filter((op) => {
          if (op.kind === 'query') sent.push(op);
          return false;
        }),
        map((op) => makeResult(op, { data: null })),
      ),
      answers.source,
    ]);
  const client = new Client({
    url: 'http://homeroom.test/graphql',
    exchanges: [freshnessExchange({ applied: () => applied, staleRereads }), network],
  });
  const received: OperationResult[] = [];
  client.query(PollsQuery, { id: 'c1' }, { requestPolicy: 'network-only' }).subscribe((r) => received.push(r));
  const answer = (title: string) =>
    answers.next(makeResult(sent.at(-1)!, { data: { course: { __typename: 'Course', id: 'c1', title } } }));
  return { sent, received, answer, eventApplied: () => void applied++ };
}

describe('freshnessExchange', () => {
  it('passes an answer read after the last event applied', () => {
    const h = harness();
    h.answer('fresh');
    expect(h.received.map((r) => r.data?.course?.title)).toEqual(['fresh']);
    expect(h.sent).toHaveLength(1);
  });

  it('drops an answer that an event overtook and reads the query again, network-only', () => {
    const h = harness();
    h.eventApplied(); // applied while the first read was on its way
    h.answer('stale');
    expect(h.received).toEqual([]);
    expect(h.sent).toHaveLength(2);
    expect(h.sent[1].context.requestPolicy).toBe('network-only');
    h.answer('fresh');
    expect(h.received.map((r) => r.data?.course?.title)).toEqual(['fresh']);
  });

  it('gives up after `staleRereads` rereads in a row and passes the answer (events without end must not starve a view)', () => {
    const h = harness(2);
    for (let i = 0; i < 3; i++) {
      h.eventApplied();
      h.answer(`stale ${i}`);
    }
    expect(h.sent).toHaveLength(3); // the first read and two rereads
    expect(h.received.map((r) => r.data?.course?.title)).toEqual(['stale 2']);
  });
});
