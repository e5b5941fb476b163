'use client';
import { type FormEvent, type RefObject, useCallback, useMemo, useRef, useState } from 'react';
import { useClient, useMutation, useQuery } from 'urql';
import { isPendingId } from '../../lib/cache';
import type { Post } from '../../lib/documents';
import { CreateCommentMutation, CreatePostMutation, FEED_PAGE_SIZE, FeedQuery } from '../../lib/documents';
import { useLiveEvents } from '../../lib/live/react';
import { useSession } from '../../lib/session';
import { Empty, ErrorNote, formatDateTime, Loading } from '../status';
import { Editable } from './feed-actions';
import { NewContentBanner, useNewContent } from './new-content';

function CommentForm({ post }: { post: Post }) {
  const [body, setBody] = useState('');
  const [{ error }, createComment] = useMutation(CreateCommentMutation);
  // The comment shows at once (optimistic; offline it waits in the queue), so the field clears at
  // once; a refusal puts the text back.
  async function onSubmit(e: FormEvent) {
    e.preventDefault();
    const text = body.trim();
    setBody('');
    const r = await createComment({ postId: post.id, body: text });
    if (r.error) setBody(text);
  }
  return (
    <form className="comment-form" onSubmit={onSubmit}>
      <input
        aria-label={`Comment on ${post.author.name}'s post`}
        placeholder="Write a comment…"
        value={body}
        onChange={(e) => setBody(e.target.value)}
        maxLength={5000}
      />
      <button type="submit" className="btn btn-small" disabled={!body.trim()}>
        Comment
      </button>
      {error && <ErrorNote error={error} />}
    </form>
  );
}

const Waiting = ({ what }: { what: string }) => (
  <span className="pill pill-pending" data-testid={`${what}-pending`}>
    Waiting to send
  </span>
);

function PostCard({ post, manage }: { post: Post; manage: boolean }) {
  const pending = isPendingId(post.id);
  const viewerId = useSession()?.user.id;
  return (
    <article
      className={`card post${post.announcement ? ' is-announcement' : ''}`}
      data-testid="post"
      aria-label={`Post by ${post.author.name}`}
    >
      <header className="post-head">
        <strong>{post.author.name}</strong>
        <time className="muted small" dateTime={post.createdAt}>
          {formatDateTime(post.createdAt)}
        </time>
        {post.announcement && <span className="pill pill-announcement">Announcement</span>}
        {pending && <Waiting what="post" />}
      </header>
      <Editable
        target={{ kind: 'post', id: post.id, body: post.body, authorName: post.author.name }}
        canEdit={!pending && post.author.id === viewerId}
        canDelete={!pending && (post.author.id === viewerId || manage)}
      >
        <p className="post-body">{post.body}</p>
      </Editable>
      <section className="comments" aria-label={`Comments (${post.commentCount})`}>
        {post.comments.length > 0 && (
          <ul className="comment-list">
            {post.comments.map((c) => (
              <li key={c.id} className="comment">
                <strong>{c.author.name}</strong> <span className="muted small">{formatDateTime(c.createdAt)}</span>
                {isPendingId(c.id) && <Waiting what="comment" />}
                <Editable
                  target={{ kind: 'comment', id: c.id, body: c.body, authorName: c.author.name }}
                  canEdit={!isPendingId(c.id) && c.author.id === viewerId}
                  canDelete={!isPendingId(c.id) && (c.author.id === viewerId || manage)}
                >
                  <p>{c.body}</p>
                </Editable>
              </li>
            ))}
          </ul>
        )}
        {!pending && <CommentForm post={post} />}
      </section>
    </article>
  );
}

function PostForm({ courseId, manage }: { courseId: string; manage: boolean }) {
  const [body, setBody] = useState('');
  const [announcement, setAnnouncement] = useState(false);
  const [{ error }, createPost] = useMutation(CreatePostMutation);
  // As for comments: the post shows at once (offline: waiting), the form clears, a refusal refills it.
  async function onSubmit(e: FormEvent) {
    e.preventDefault();
    const text = body.trim();
    const asAnnouncement = announcement;
    setBody('');
    setAnnouncement(false);
    const r = await createPost({ courseId, body: text, announcement: manage ? asAnnouncement : undefined });
    if (r.error) {
      setBody(text);
      setAnnouncement(asAnnouncement);
    }
  }
  return (
    <form className="card form" onSubmit={onSubmit} aria-label="Post to the feed">
      <label className="field">
        <span>New post</span>
        <textarea
          rows={3}
          value={body}
          onChange={(e) => setBody(e.target.value)}
          maxLength={10000}
          placeholder="Share something with the course…"
        />
      </label>
      {error && <ErrorNote error={error} />}
      <div className="actions">
        {manage && (
          <label className="check">
            <input type="checkbox" checked={announcement} onChange={(e) => setAnnouncement(e.target.checked)} />
            <span>Announcement (notifies every student)</span>
          </label>
        )}
        <button type="submit" className="btn btn-primary" disabled={!body.trim()}>
          Post
        </button>
      </div>
    </form>
  );
}

/** One page of the feed; the first page is the list new posts join (see lib/cache.ts). */
function FeedPage({
  courseId,
  after,
  isLast,
  onLoadMore,
  manage,
}: {
  courseId: string;
  manage: boolean;
  after?: string;
  isLast: boolean;
  onLoadMore: (cursor: string) => void;
}) {
  const variables = after ? { id: courseId, first: FEED_PAGE_SIZE, after } : { id: courseId, first: FEED_PAGE_SIZE };
  const [{ data, error, fetching }, refetch] = useQuery({ query: FeedQuery, variables });
  if (fetching && !data) return <Loading label="Loading posts…" />;
  if (!data?.course) return <ErrorNote error={error} retry={() => refetch({ requestPolicy: 'network-only' })} />;
  const { edges, pageInfo } = data.course.posts;
  return (
    <>
      {!after && edges.length === 0 && <Empty>No posts yet. Start the conversation.</Empty>}
      {edges.map((e) => (
        <PostCard key={e.node.id} post={e.node} manage={manage} />
      ))}
      {isLast && pageInfo.hasNextPage && pageInfo.endCursor && (
        <button type="button" className="btn" onClick={() => onLoadMore(pageInfo.endCursor!)}>
          Load older posts
        </button>
      )}
    </>
  );
}

/** The banner for what arrived since the first page was read; loading reads that page again. */
function NewContent({ courseId, topRef }: { courseId: string; topRef: RefObject<HTMLElement | null> }) {
  const client = useClient();
  const variables = { id: courseId, first: FEED_PAGE_SIZE };
  const [{ data }] = useQuery({ query: FeedQuery, variables, requestPolicy: 'cache-only' });
  const known = useMemo(() => {
    const ids = new Set<string>();
    for (const e of data?.course?.posts.edges ?? []) {
      ids.add(`p${e.node.id}`);
      for (const c of e.node.comments) ids.add(`c${c.id}`);
    }
    return ids;
  }, [data]);
  const load = useCallback(async () => {
    await client
      .query(FeedQuery, { id: courseId, first: FEED_PAGE_SIZE }, { requestPolicy: 'network-only' })
      .toPromise();
  }, [client, courseId]);
  const pending = useNewContent(courseId, known, topRef, load);
  // Edits and deletions are not "new": the page on screen is read again at once.
  useLiveEvents((e) => {
    if (e.__typename !== 'ContentAvailableEvent' || e.courseId !== courseId) return;
    if (e.editedPostIds.length || e.deletedPostIds.length || e.deletedCommentIds.length) void load();
  });
  const onLoad = async () => {
    await pending.load();
    topRef.current?.scrollIntoView({ block: 'start' });
    topRef.current?.focus();
  };
  return (
    <NewContentBanner
      posts={pending.posts}
      comments={pending.comments}
      loading={pending.loading}
      onLoad={() => void onLoad()}
    />
  );
}

export function FeedTab({ courseId, manage }: { courseId: string; manage: boolean }) {
  const [cursors, setCursors] = useState<(string | undefined)[]>([undefined]);
  const topRef = useRef<HTMLDivElement>(null);
  return (
    <div className="stack">
      <h2>Feed</h2>
      <PostForm courseId={courseId} manage={manage} />
      <NewContent courseId={courseId} topRef={topRef} />
      <div className="stack feed-list" ref={topRef} tabIndex={-1}>
        {cursors.map((after, i) => (
          <FeedPage
            key={after ?? 'first'}
            courseId={courseId}
            manage={manage}
            after={after}
            isLast={i === cursors.length - 1}
            onLoadMore={(c) => setCursors((cs) => (cs.includes(c) ? cs : [...cs, c]))}
          />
        ))}
      </div>
    </div>
  );
}
