// contentAvailable: a light "new content" signal (counts and latest ids, not the content). No
// updater: the feed shows a banner and fetches when the reader asks (components/course/new-content.tsx).
import { graphql, type ResultOf } from '../../graphql';
import { defineTopic } from '../topic';

export const ContentEventFields = graphql(`fragment ContentEventFields on ContentAvailableEvent {
  __typename cursor action occurredAt courseId newPosts newComments changes latestPostId latestCommentId postIds
  editedPostIds deletedPostIds deletedCommentIds
}`);
export type ContentEvent = ResultOf<typeof ContentEventFields>;

export const content = defineTopic({
  field: 'contentAvailable',
  fragment: ContentEventFields,
  document: graphql(
    `subscription ContentAvailable($after: String) { contentAvailable(after: $after) { ...ContentEventFields } }`,
    [ContentEventFields],
  ),
});
