// The client side of a live topic, declared once: the event's fragment, the subscription that
// carries it and what graphcache does with it. ./topics/index.ts lists every topic; the socket
// subscribes to each, the polling query asks for each fragment, and graphcache's `updates` and
// `keys` follow from that list (README.md, "Adding a live topic").
import type { Cache, UpdateResolver, UpdatesConfig } from '@urql/exchange-graphcache';
import { updater } from '../cache';
import type { TadaDocumentNode } from '../graphql';

/** Every event carries these (the fragment must select `__typename`: polled events are told apart by it). */
export type EventShape = { __typename: string; cursor: string; action: 'CREATED' | 'UPDATED' | 'DELETED' | 'RESYNC' };

/** What an updater may need besides the event and the cache. */
export type TopicContext = {
  /** The signed-in user: whose "my…" fields (myGrade, myStanding, …) an event fills. */
  viewerId: string | undefined;
};

/** What a topic's subscription takes: `after`, and for a per-course topic its `courseId`. */
export type TopicVariables = { after?: string | null | undefined };
export type CourseTopicVariables = TopicVariables & { courseId: string };

export type TopicDeclaration<
  Field extends string,
  Event extends EventShape,
  Variables extends TopicVariables = TopicVariables,
> = {
  /** The Subscription field, e.g. `gradeChanged`. */
  field: Field;
  /** The event's fields; spread into `document` and into the polling query (`updates`). */
  fragment: TadaDocumentNode<Event, never, { fragment: string; on: Event['__typename']; masked: false }>;
  /** `subscription …($after: String) { <field>(after: $after) { ...<fragment> } }`: no course filter,
   * the socket carries everything the viewer may see. */
  document: TadaDocumentNode<{ [F in Field]: Event }, Variables>;
  /** Changes graphcache cannot make by itself (entities in the event update themselves): lists,
   * links, deletions. Must be idempotent. Omit for a signal that only listeners read. */
  update?: (event: Event, cache: Cache, context: TopicContext) => void;
  /** Updaters of the event type's own fields, run while graphcache writes them (in selection
   * order), e.g. to read an entity's previous state before the event overwrites it. */
  eventFieldUpdates?: { [field: string]: (event: Event, cache: Cache, context: TopicContext) => void };
};

export type Topic<
  Field extends string = string,
  Event extends EventShape = EventShape,
  Variables extends TopicVariables = TopicVariables,
> = TopicDeclaration<Field, Event, Variables> & {
  /** The event type's name (the fragment's type condition), e.g. `GradeEvent`. */
  type: Event['__typename'];
  /** This topic's part of graphcache's `updates`. */
  updates(context: TopicContext): UpdatesConfig;
};

/** The event type of a topic (or of each member of a union of topics). */
export type EventOf<T> = T extends Topic<string, infer Event, infer _V> ? Event : never;

/**
 * A topic subscribed per course, while a view shows it (its field requires `courseId`), e.g.
 * statsChanged. It is derived on the server, so `updates` does not carry it: while the socket is
 * down, a polled event of a type in `derivedFrom` means the view reads its data again
 * (`useCourseTopic` in ../react.ts).
 */
export type CourseTopic<Field extends string = string, Event extends EventShape = EventShape> = Topic<
  Field,
  Event,
  CourseTopicVariables
> & { derivedFrom: readonly string[] };

export function defineTopic<const Field extends string, Event extends EventShape, Variables extends TopicVariables>(
  declaration: TopicDeclaration<Field, Event, Variables>,
): Topic<Field, Event, Variables> {
  const definition = declaration.fragment.definitions[0];
  if (definition?.kind !== 'FragmentDefinition') throw new Error(`${declaration.field}: fragment expected`);
  const type = definition.typeCondition.name.value as Event['__typename'];
  const { field, document, update, eventFieldUpdates } = declaration;
  return {
    ...declaration,
    type,
    updates(context) {
      const config: UpdatesConfig = {};
      if (update)
        config.Subscription = {
          [field]: updater(document, (result, _args, cache) => update(result[field], cache, context)),
        };
      if (eventFieldUpdates) {
        // graphcache calls a field's updater with the object that holds the field: the event.
        const resolvers: Record<string, UpdateResolver> = {};
        for (const [name, run] of Object.entries(eventFieldUpdates))
          resolvers[name] = updater(declaration.fragment, (event, _args, cache) => run(event, cache, context));
        config[type] = resolvers;
      }
      return config;
    },
  };
}
