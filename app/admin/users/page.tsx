import type { Metadata } from 'next';
import { UsersView } from '../../components/admin/users-view';

export const dynamic = 'force-dynamic';
export const metadata: Metadata = { title: 'Users' };

export default function Page() {
  return <UsersView />;
}
