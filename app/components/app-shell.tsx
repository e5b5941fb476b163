'use client';
// Decides what a visitor may see: nothing API-backed until the browser knows the session (and,
// signed in, the live cursor: views read after it, so no change between the two is missed),
// /login for the signed-out, the header and page for the signed-in.
import { usePathname, useRouter } from 'next/navigation';
import { type ReactNode, useEffect } from 'react';
import { useMutation } from 'urql';
import { SignOutMutation } from '../lib/account-documents';
import { useLiveState } from '../lib/live/react';
import { setSession, useSession } from '../lib/session';
import { Header } from './header';
import { RefusedWrites } from './offline-writes';
import { Loading } from './status';
import { Toasts } from './toasts';

export function AppShell({ children }: { children: ReactNode }) {
  const session = useSession();
  const pathname = usePathname();
  const router = useRouter();
  const onLogin = pathname === '/login';
  const { ready } = useLiveState();
  const [, endSession] = useMutation(SignOutMutation);

  useEffect(() => {
    if (session === null && !onLogin) router.replace(`/login?next=${encodeURIComponent(pathname)}`);
  }, [session, onLogin, pathname, router]);

  if (onLogin) return <main className="page page-narrow">{children}</main>;
  if (!session || !ready) {
    return (
      <main className="page">
        <Loading />
      </main>
    );
  }
  // Signing out clears the session here and ends it on the server (its token is refused from then
  // on, everywhere); the effect above then moves to /login.
  const signOut = () => {
    const { token } = session;
    setSession(null); // first: nothing renews or reconnects once the server ends the session
    void endSession({}, { fetchOptions: { headers: { authorization: `Bearer ${token}` } } });
  };
  return (
    <>
      <a href="#main" className="skip-link">
        Skip to content
      </a>
      <Header session={session} onSignOut={signOut} />
      <main id="main" className="page">
        <RefusedWrites />
        {children}
      </main>
      <Toasts />
    </>
  );
}
