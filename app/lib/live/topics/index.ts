// Every live topic the web app follows, in one list. Adding a topic on the client is a file in
// this folder (./grades.ts is a model) and one entry here: the socket subscribes to it, the
// polling query asks for its events, graphcache applies them and keys its event type.
import type { KeyingConfig, UpdatesConfig } from '@urql/exchange-graphcache';
import type { EventOf, TopicContext } from '../topic';
import { attendance } from './attendance';
import { content } from './content';
import { courses } from './courses';
import { grades } from './grades';
import { messages } from './messages';
import { notifications } from './notifications';
import { polls } from './polls';
import { stats } from './stats';

/** Topics the socket carries for the whole tab, without a course filter (and `updates` polls). */
export const TOPICS = [grades, attendance, polls, content, notifications, courses, messages] as const;
/** Topics subscribed per course while a view shows them (`useCourseTopic`). */
export const COURSE_TOPICS = [stats] as const;

export type LiveTopic = (typeof TOPICS)[number];
export type TopicField = LiveTopic['field'];
/** An event of any topic; `__typename` tells which. */
export type LiveEvent = EventOf<LiveTopic>;

export const topicOfType = (type: string): LiveTopic | undefined => TOPICS.find((t) => t.type === type);

/** graphcache's `updates` for every topic (viewerId: whose "my…" fields events fill). */
export function liveUpdates(context: TopicContext): UpdatesConfig {
  const config: UpdatesConfig = {};
  for (const topic of [...TOPICS, ...COURSE_TOPICS]) {
    for (const [typeName, fields] of Object.entries(topic.updates(context))) {
      config[typeName] = { ...config[typeName], ...fields };
    }
  }
  return config;
}

/** Events carry entities but are not entities themselves: graphcache embeds them in their parent. */
export const liveKeys: KeyingConfig = Object.fromEntries(
  [...TOPICS, ...COURSE_TOPICS].map((t) => [t.type, () => null]),
);
