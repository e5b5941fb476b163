import type { Metadata } from 'next';
import { AccountView } from '../components/account/account-view';

export const dynamic = 'force-dynamic';
export const metadata: Metadata = { title: 'Account' };

export default function Page() {
  return <AccountView />;
}
