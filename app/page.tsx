import { Dashboard } from './components/dashboard/dashboard';

export const dynamic = 'force-dynamic';

export default function HomePage() {
  return <Dashboard />;
}
