import type { Metadata } from 'next';
import { NotificationsView } from '../components/notifications-view';

export const dynamic = 'force-dynamic';
export const metadata: Metadata = { title: 'Notifications' };

export default function NotificationsPage() {
  return <NotificationsView />;
}
