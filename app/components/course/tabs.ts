// Shared by the course page (server) and the course view (client): plain data, no 'use client'.
export const TABS = [
  { id: 'grades', label: 'Grades' },
  { id: 'attendance', label: 'Attendance' },
  { id: 'polls', label: 'Polls' },
  { id: 'feed', label: 'Feed' },
  { id: 'chat', label: 'Chat' },
] as const;
export type Tab = (typeof TABS)[number]['id'];
export const isTab = (t: string): t is Tab => TABS.some((x) => x.id === t);
