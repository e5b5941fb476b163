'use client';
// The signed-in session (token, expiry, user) lives in localStorage so it survives reloads and
// is shared by tabs. React reads it through useSession (useSyncExternalStore): on the server and
// during hydration the session is `undefined` ("not known yet"), so nothing queries the API
// before the browser knows who is signed in.
import { useSyncExternalStore } from 'react';
import type { AuthPayload } from './documents';

export type Session = AuthPayload;

const STORAGE_KEY = 'homeroom.session';
const listeners = new Set<() => void>();
let current: Session | null | undefined; // undefined = not read from storage yet

function read(): Session | null {
  try {
    const raw = window.localStorage.getItem(STORAGE_KEY);
    if (!raw) return null;
    const s = JSON.parse(raw) as Session;
    if (!s?.token || !s.expiresAt || !s.user) return null;
    // An expired token is kept: the API may still renew it (TOKEN_RENEW_GRACE_SECONDS), and a
    // tablet that was offline past its expiry must still open its pages and keep its queued
    // writes. A renewal the API refuses signs out (urql.ts).
    return s;
  } catch {
    return null;
  }
}

function emit() {
  for (const l of listeners) l();
}

export function getSession(): Session | null {
  if (typeof window === 'undefined') return null;
  if (current === undefined) current = read();
  return current;
}

export function setSession(s: Session | null): void {
  current = s;
  try {
    if (s) window.localStorage.setItem(STORAGE_KEY, JSON.stringify(s));
    else window.localStorage.removeItem(STORAGE_KEY);
  } catch {
    // Private mode or full storage: the session still lives for this tab.
  }
  emit();
}

const REASON_KEY = 'homeroom.signedOutReason';

/**
 * Signs this browser out, keeping why (the API's words, e.g. "Account deactivated: ask an
 * administrator") for the sign-in page to show once.
 */
export function signOut(reason?: string): void {
  try {
    if (reason) window.sessionStorage.setItem(REASON_KEY, reason);
  } catch {
    // No storage: the sign-in page just says nothing.
  }
  setSession(null);
}

/** Why this browser was signed out, once (then forgotten). */
export function takeSignedOutReason(): string | null {
  try {
    const reason = window.sessionStorage.getItem(REASON_KEY);
    window.sessionStorage.removeItem(REASON_KEY);
    return reason;
  } catch {
    return null;
  }
}

function subscribe(listener: () => void): () => void {
  listeners.add(listener);
  // Another tab signed in, renewed or signed out.
  const onStorage = (e: StorageEvent) => {
    if (e.key !== STORAGE_KEY) return;
    current = read();
    emit();
  };
  window.addEventListener('storage', onStorage);
  return () => {
    listeners.delete(listener);
    window.removeEventListener('storage', onStorage);
  };
}

/** The session: `undefined` while unknown (server render, hydration), `null` when signed out. */
export function useSession(): Session | null | undefined {
  return useSyncExternalStore(subscribe, getSession, () => undefined);
}
