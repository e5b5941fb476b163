// pollChanged: a poll opened or closed, and its new tallies after each vote.
import { removeFromList } from '../../cache';
import { PollFields } from '../../documents';
import { graphql, type ResultOf } from '../../graphql';
import { defineTopic } from '../topic';

export const PollEventFields = graphql(
  `fragment PollEventFields on PollEvent {
    __typename cursor action occurredAt vote
    poll { ...PollFields course { id } }
  }`,
  [PollFields],
);
export type PollEvent = ResultOf<typeof PollEventFields>;

export const polls = defineTopic({
  field: 'pollChanged',
  fragment: PollEventFields,
  document: graphql(`subscription PollChanged($after: String) { pollChanged(after: $after) { ...PollEventFields } }`, [
    PollEventFields,
  ]),
  update(e, cache) {
    const p = e.poll;
    if (e.action === 'RESYNC' || !p) return;
    const course = `Course:${p.course.id}`;
    const pollKey = `Poll:${p.id}`;
    if (e.action === 'DELETED') {
      removeFromList(cache, course, 'polls', pollKey);
      cache.invalidate(pollKey);
      return;
    }
    // A poll we have not seen (opened, or its opening missed): it joins the list, newest first.
    const list = cache.resolve(course, 'polls');
    if (!Array.isArray(list) || (list as string[]).includes(pollKey)) return;
    const createdAt = (k: string) => Date.parse(String(cache.resolve(k, 'createdAt') ?? ''));
    cache.link(
      course,
      'polls',
      [...(list as string[]), pollKey].sort((a, b) => createdAt(b) - createdAt(a)),
    );
  },
});
