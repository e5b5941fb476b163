// messageChanged: chat messages sent, edited or deleted in the conversations the viewer may read
// (exact, through the outbox, like grades). Edits update themselves (the event carries the message).
// `action` comes before `message` on purpose: its updater sees whether the message was already in
// the cache (then the unread count already counts it) before graphcache writes it.
import { addMessage, bumpUnread, invalidateConversationLists, removeMessage } from '../../cache';
import { MessageFields } from '../../documents';
import { graphql, type ResultOf } from '../../graphql';
import { defineTopic } from '../topic';

export const MessageEventFields = graphql(
  `fragment MessageEventFields on MessageEvent {
    __typename cursor action occurredAt conversationId messageId
    message { ...MessageFields }
  }`,
  [MessageFields],
);
export type MessageEvent = ResultOf<typeof MessageEventFields>;

export const messages = defineTopic({
  field: 'messageChanged',
  fragment: MessageEventFields,
  document: graphql(
    `subscription MessageChanged($after: String) { messageChanged(after: $after) { ...MessageEventFields } }`,
    [MessageEventFields],
  ),
  update(e, cache) {
    if (e.action === 'RESYNC' || !e.conversationId || !e.messageId) return;
    if (e.action === 'DELETED') removeMessage(cache, e.conversationId, e.messageId);
    else if (e.action === 'CREATED' && e.message) addMessage(cache, e.conversationId, e.message);
    // A conversation this view does not know yet (someone started it with the viewer): read the
    // conversation lists again.
    if (cache.resolve(`Conversation:${e.conversationId}`, 'id') == null) invalidateConversationLists(cache);
  },
  eventFieldUpdates: {
    action(e, cache, { viewerId }) {
      if (e.action !== 'CREATED' || !e.conversationId || !e.message || e.message.author.id === viewerId) return;
      if (cache.resolve(`Message:${e.message.id}`, 'id') != null) return; // counted already
      bumpUnread(cache, e.conversationId);
    },
  },
});
