'use client';
// The feed's "N new posts" banner. contentAvailable says that posts or comments arrived (counts
// and the latest ids, not the content); the reader decides when to load them, except that a few
// load at once while the reader is at the top of the feed, where nothing moves under their eyes.
import { type RefObject, useCallback, useEffect, useState } from 'react';
import { useLiveEvents } from '../../lib/live/react';

/** Load without asking when this few items are waiting and the feed's top is in view. */
const AUTO_LOAD_MAX = 3;

type Signal = { posts: number; comments: number; latestPostId: string | null; latestCommentId: string | null };

/**
 * Counts what arrived for `courseId` and is not on screen yet. `knownIds` are the ids of posts
 * ("p<id>") and comments ("c<id>") shown now, so one's own new post or comment (already added by
 * its mutation) is not announced as new.
 */
export function useNewContent(
  courseId: string,
  knownIds: Set<string>,
  topRef: RefObject<HTMLElement | null>,
  load: () => Promise<void>,
) {
  const [signals, setSignals] = useState<Signal[]>([]);
  const [loading, setLoading] = useState(false);
  const unseen = (s: Signal, ids: Set<string>) => ({
    posts: Math.max(0, s.posts - (s.latestPostId && ids.has(`p${s.latestPostId}`) ? 1 : 0)),
    comments: Math.max(0, s.comments - (s.latestCommentId && ids.has(`c${s.latestCommentId}`) ? 1 : 0)),
  });
  const count = signals.reduce(
    (acc, s) => {
      const u = unseen(s, knownIds);
      return { posts: acc.posts + u.posts, comments: acc.comments + u.comments };
    },
    { posts: 0, comments: 0 },
  );

  const loadNow = useCallback(async () => {
    setLoading(true);
    try {
      await load();
      setSignals([]);
    } finally {
      setLoading(false);
    }
  }, [load]);

  useLiveEvents((e) => {
    if (e.__typename !== 'ContentAvailableEvent' || e.action === 'RESYNC') return;
    if (e.courseId !== courseId || (e.newPosts === 0 && e.newComments === 0)) return;
    setSignals((ss) => [
      ...ss,
      { posts: e.newPosts, comments: e.newComments, latestPostId: e.latestPostId, latestCommentId: e.latestCommentId },
    ]);
  });

  // A few new items while the reader is at the top: show them at once.
  const total = count.posts + count.comments;
  useEffect(() => {
    if (total === 0 || total > AUTO_LOAD_MAX || loading) return;
    const top = topRef.current?.getBoundingClientRect().top;
    if (top !== undefined && top >= 0) void loadNow();
  }, [total, loading, topRef, loadNow]);

  return { posts: count.posts, comments: count.comments, loading, load: loadNow };
}

const plural = (n: number, one: string, many: string) => `${n} ${n === 1 ? one : many}`;

export function NewContentBanner({
  posts,
  comments,
  loading,
  onLoad,
}: {
  posts: number;
  comments: number;
  loading: boolean;
  onLoad: () => void;
}) {
  const parts = [
    posts && plural(posts, 'new post', 'new posts'),
    comments && plural(comments, 'new comment', 'new comments'),
  ].filter(Boolean);
  return (
    <div className="new-content" role="status" aria-live="polite">
      {parts.length > 0 && (
        <button
          type="button"
          className="btn new-content-button"
          data-testid="new-posts-banner"
          onClick={onLoad}
          disabled={loading}
        >
          {loading ? 'Loading…' : `${parts.join(' and ')} · Show`}
        </button>
      )}
    </div>
  );
}
