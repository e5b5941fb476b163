import type { Metadata, Viewport } from 'next';
import type { ReactNode } from 'react';
import { AppShell } from './components/app-shell';
import { ServiceWorker } from './components/service-worker';
import { DEFAULT_API_URL, UrqlProvider } from './lib/urql';
import './globals.css';

// The API URL is read per request on the server, so one build runs against any API.
export const dynamic = 'force-dynamic';

export const metadata: Metadata = {
  title: { default: 'Homeroom', template: '%s · Homeroom' },
  description: 'Grades, attendance, polls and a course feed, live for everyone allowed to see them.',
};

export const viewport: Viewport = { width: 'device-width', initialScale: 1 };

export default function RootLayout({ children }: { children: ReactNode }) {
  const apiUrl = process.env.HOMEROOM_API_URL || DEFAULT_API_URL;
  return (
    <html lang="en">
      <body>
        <UrqlProvider apiUrl={apiUrl}>
          <AppShell>{children}</AppShell>
        </UrqlProvider>
        <ServiceWorker />
      </body>
    </html>
  );
}
