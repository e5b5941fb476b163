'use client';
// Editing and deleting in the feed: authors edit and delete their own posts and comments; the
// course's instructors (and admins) delete any. Everyone else sees it through contentAvailable.
import { type FormEvent, useState } from 'react';
import { useMutation } from 'urql';
import {
  DeleteCommentMutation,
  DeletePostMutation,
  UpdateCommentMutation,
  UpdatePostMutation,
} from '../../lib/documents';
import { ErrorNote } from '../status';

type Target = { kind: 'post' | 'comment'; id: string; body: string; authorName: string };

/** Edit (own) and Delete (own, or moderation) for a post or a comment; `children` is the body shown. */
export function Editable({
  target,
  canEdit,
  canDelete,
  children,
}: {
  target: Target;
  canEdit: boolean;
  canDelete: boolean;
  children: React.ReactNode;
}) {
  const [editing, setEditing] = useState(false);
  const [draft, setDraft] = useState(target.body);
  const [confirm, setConfirm] = useState(false);
  const [postEdit, updatePost] = useMutation(UpdatePostMutation);
  const [commentEdit, updateComment] = useMutation(UpdateCommentMutation);
  const [postDelete, deletePost] = useMutation(DeletePostMutation);
  const [commentDelete, deleteComment] = useMutation(DeleteCommentMutation);
  const edit = target.kind === 'post' ? postEdit : commentEdit;
  const remove = target.kind === 'post' ? postDelete : commentDelete;
  const what = `${target.authorName}'s ${target.kind}`;

  async function save(e: FormEvent) {
    e.preventDefault();
    const variables = { id: target.id, body: draft.trim() };
    const r = target.kind === 'post' ? await updatePost(variables) : await updateComment(variables);
    if (r.data) setEditing(false);
  }
  async function onDelete() {
    if (!confirm) return setConfirm(true);
    if (target.kind === 'post') await deletePost({ id: target.id });
    else await deleteComment({ id: target.id });
  }

  if (editing)
    return (
      <form className="stack" onSubmit={save} aria-label={`Edit ${what}`}>
        <textarea
          rows={target.kind === 'post' ? 3 : 1}
          value={draft}
          onChange={(e) => setDraft(e.target.value)}
          maxLength={target.kind === 'post' ? 10000 : 5000}
          aria-label="Text"
        />
        {edit.error && <ErrorNote error={edit.error} />}
        <div className="actions">
          <button type="submit" className="btn btn-small btn-primary" disabled={edit.fetching || !draft.trim()}>
            Save
          </button>
          <button type="button" className="btn btn-small btn-quiet" onClick={() => setEditing(false)}>
            Cancel
          </button>
        </div>
      </form>
    );
  return (
    <>
      {children}
      {(canEdit || canDelete) && (
        <div className="actions">
          {canEdit && (
            <button
              type="button"
              className="btn btn-small btn-quiet"
              aria-label={`Edit ${what}`}
              onClick={() => {
                setDraft(target.body);
                setEditing(true);
              }}
            >
              Edit
            </button>
          )}
          {canDelete && (
            <button
              type="button"
              className="btn btn-small btn-danger"
              aria-label={confirm ? `Confirm deleting ${what}` : `Delete ${what}`}
              disabled={remove.fetching}
              onClick={() => void onDelete()}
            >
              {confirm ? 'Delete for everyone' : 'Delete'}
            </button>
          )}
          {remove.error && <ErrorNote error={remove.error} />}
        </div>
      )}
    </>
  );
}
