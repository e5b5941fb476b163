import type { Metadata } from 'next';
import { CourseView } from '../../components/course/course-view';
import { isTab, type Tab } from '../../components/course/tabs';

export const dynamic = 'force-dynamic';
export const metadata: Metadata = { title: 'Course' };

export default async function CoursePage({
  params,
  searchParams,
}: {
  params: Promise<{ id: string }>;
  searchParams: Promise<{ tab?: string | string[]; conversation?: string | string[] }>;
}) {
  const { id } = await params;
  const { tab, conversation } = await searchParams;
  const initialTab: Tab = typeof tab === 'string' && isTab(tab) ? tab : 'grades';
  return (
    <CourseView
      id={id}
      initialTab={initialTab}
      initialConversation={typeof conversation === 'string' ? conversation : null}
    />
  );
}
