'use client';
import Link from 'next/link';
import { usePathname } from 'next/navigation';
import { useQuery } from 'urql';
import { NOTIFICATIONS_PAGE_SIZE, NotificationsQuery } from '../lib/documents';
import type { Session } from '../lib/session';
import { ConnectionStatus } from './connection-status';
import { PendingWritesBadge } from './offline-writes';

const roleLabel = { STUDENT: 'Student', INSTRUCTOR: 'Instructor', ADMIN: 'Admin' } as const;

function Bell() {
  const [{ data }] = useQuery({ query: NotificationsQuery, variables: { first: NOTIFICATIONS_PAGE_SIZE } });
  const unread = data?.notifications.unreadCount ?? 0;
  // No count until it is known: "0 unread" while loading would be a claim.
  const label = !data ? 'Notifications' : `Notifications, ${unread} unread`;
  return (
    <Link href="/notifications" className="bell" aria-label={label} data-testid="notification-bell">
      <svg aria-hidden="true" viewBox="0 0 24 24" width="20" height="20">
        <path
          fill="currentColor"
          d="M12 22a2.5 2.5 0 0 0 2.45-2h-4.9A2.5 2.5 0 0 0 12 22Zm7-6V11a7 7 0 0 0-5.5-6.84V3.5a1.5 1.5 0 0 0-3 0v.66A7 7 0 0 0 5 11v5l-2 2v1h18v-1Z"
        />
      </svg>
      {unread > 0 && (
        <span className="badge" data-testid="unread-count">
          {unread > 99 ? '99+' : unread}
        </span>
      )}
    </Link>
  );
}

export function Header({ session, onSignOut }: { session: Session; onSignOut: () => void }) {
  const pathname = usePathname();
  const current = (href: string) => (href === '/' ? pathname === '/' : pathname.startsWith(href));
  return (
    <header className="site-header">
      <div className="header-inner">
        <Link href="/" className="brand">
          Homeroom
        </Link>
        <nav aria-label="Main" className="main-nav">
          <Link href="/" aria-current={current('/') ? 'page' : undefined}>
            Dashboard
          </Link>
          <Link href="/notifications" aria-current={current('/notifications') ? 'page' : undefined}>
            Notifications
          </Link>
          <Link href="/account" aria-current={current('/account') ? 'page' : undefined}>
            Account
          </Link>
          {session.user.role === 'ADMIN' && (
            <>
              <Link href="/admin/users" aria-current={current('/admin/users') ? 'page' : undefined}>
                Users
              </Link>
              <Link href="/admin/audit" aria-current={current('/admin/audit') ? 'page' : undefined}>
                Audit
              </Link>
            </>
          )}
        </nav>
        <div className="header-tools">
          <ConnectionStatus />
          <PendingWritesBadge />
          <Bell />
          <span className="who" data-testid="signed-in-user">
            <span className="who-name">{session.user.name}</span>
            <span className="who-role">{roleLabel[session.user.role]}</span>
          </span>
          <button type="button" className="btn btn-small btn-quiet" onClick={onSignOut}>
            Sign out
          </button>
        </div>
      </div>
    </header>
  );
}
