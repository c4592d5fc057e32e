import { Children, isValidElement, useEffect, useRef, useSyncExternalStore, type ReactNode } from 'react';
import { useLocation } from 'react-router';
import { Alert, Badge, Button, Center, Group, Loader, Pagination, Stack, Text, Title } from '@mantine/core';
import { ApiError, type Severity } from './api.ts';

export const SEVERITY_COLOR: Record<Severity, string> = {
  critical: 'red',
  high: 'orange',
  medium: 'yellow',
  low: 'blue',
  none: 'gray',
  unknown: 'gray',
};
export const STATUS_COLOR: Record<string, string> = {
  missing: 'red',
  pending: 'indigo',
  queued: 'indigo',
  installing: 'cyan',
  installed: 'green',
  failed: 'red',
  ignored: 'gray',
  reboot_required: 'orange',
  not_applicable: 'gray',
  active: 'green',
  retired: 'gray',
};

export const label = (s: string) => s.replace(/[_-]/g, ' ');

export function SeverityBadge({ severity }: { severity: Severity }) {
  return (
    <Badge
      color={SEVERITY_COLOR[severity]}
      variant={severity === 'critical' ? 'filled' : 'light'}
      style={{ overflow: 'visible' }}
    >
      {severity}
    </Badge>
  );
}
export function StatusBadge({ status }: { status: string }) {
  return (
    <Badge
      color={STATUS_COLOR[status] ?? 'gray'}
      variant="light"
      data-status={status}
      style={{ overflow: 'visible' }}
    >
      {label(status)}
    </Badge>
  );
}

export function when(iso: string | null | undefined): string {
  if (!iso) return 'never';
  return new Date(iso).toLocaleString();
}
export function ago(iso: string | null | undefined): string {
  if (!iso) return 'never';
  const s = Math.round((Date.now() - new Date(iso).getTime()) / 1000);
  if (s < 60) return 'just now';
  if (s < 3600) return `${Math.round(s / 60)} min ago`;
  if (s < 86400) return `${Math.round(s / 3600)} h ago`;
  return `${plural(Math.round(s / 86400), 'day')} ago`;
}

/** the text of a title's strings and numbers (badges and other elements left out) */
function textOf(node: ReactNode): string {
  return Children.toArray(node)
    .map((c) => (typeof c === 'string' || typeof c === 'number' ? String(c) : isValidElement(c) ? '' : ''))
    .join('')
    .replace(/\s+/g, ' ')
    .trim();
}

// the current page's name, for the document title and the route announcement (App.tsx)
let pageName = '';
const pageNameListeners = new Set<() => void>();
function setPageName(name: string) {
  pageName = name;
  document.title = name ? `${name} · Patchline` : 'Patchline';
  for (const l of pageNameListeners) l();
}
export function usePageName(): string {
  return useSyncExternalStore(
    (l) => {
      pageNameListeners.add(l);
      return () => void pageNameListeners.delete(l);
    },
    () => pageName,
  );
}
/** the page where focus last moved to the heading: a new page (not a new query string) moves it again */
let focusedPath: string | null = null;
/** the sign-in page names itself; the next page after it takes the focus */
export function signInPageShown() {
  focusedPath = null;
  setPageName('Sign in');
}

/**
 * A page's heading: names the document ("Devices · Patchline"), is announced to screen readers, and takes
 * the focus when a page opens (after signing in, following a link, going back), so the keyboard starts at
 * the top of the new page
 */
export function PageTitle({
  children,
  actions,
  name,
}: {
  children: ReactNode;
  actions?: ReactNode;
  /** the page's name when the heading holds more than text */
  name?: string;
}) {
  const { pathname } = useLocation();
  const ref = useRef<HTMLHeadingElement>(null);
  const title = name ?? textOf(children);
  useEffect(() => setPageName(title), [title]);
  useEffect(() => {
    if (focusedPath === pathname) return;
    focusedPath = pathname;
    ref.current?.focus({ preventScroll: false });
  }, [pathname]);
  return (
    <Group justify="space-between" mb="md" wrap="wrap">
      <Title order={1} size="h2" ref={ref} tabIndex={-1} data-page-heading>
        {children}
      </Title>
      {actions}
    </Group>
  );
}

export function Loading({ what }: { what: string }) {
  return (
    <Center py="xl" aria-live="polite">
      <Group gap="sm">
        <Loader size="sm" />
        <Text>Loading {what}…</Text>
      </Group>
    </Center>
  );
}

export function ErrorState({ error, retry }: { error: unknown; retry?: () => void }) {
  const e = error instanceof ApiError ? error : null;
  const title =
    e?.status === 403
      ? 'You are not allowed to see this'
      : e?.status === 404
        ? 'Not found'
        : 'Something went wrong';
  return (
    <Alert color="red" title={title} role="alert" my="md">
      <Stack gap="xs">
        <Text size="sm">{error instanceof Error ? error.message : String(error)}</Text>
        {retry && e?.status !== 403 && e?.status !== 404 && (
          <Button size="xs" variant="white" color="red" onClick={retry} w="fit-content">
            Try again
          </Button>
        )}
      </Stack>
    </Alert>
  );
}

export function Empty({ children }: { children: ReactNode }) {
  return (
    <Text c="dimmed" ta="center" py="xl" data-testid="empty">
      {children}
    </Text>
  );
}

export function Pager({
  total,
  limit,
  offset,
  onChange,
}: {
  total: number;
  limit: number;
  offset: number;
  onChange: (offset: number) => void;
}) {
  const pages = Math.max(1, Math.ceil(total / limit));
  return (
    <Group justify="space-between" mt="md" wrap="wrap">
      <Text size="sm" c="dimmed">
        {total === 0 ? 'none' : `${offset + 1}–${Math.min(offset + limit, total)} of ${total}`}
      </Text>
      {pages > 1 && (
        <Pagination
          total={pages}
          value={Math.floor(offset / limit) + 1}
          onChange={(p) => onChange((p - 1) * limit)}
          getControlProps={(c) => ({ 'aria-label': `${c} page` })}
        />
      )}
    </Group>
  );
}

/** a count with its noun: "1 group", "3 groups", "0 devices" */
export function plural(n: number, noun: string, nouns = `${noun}s`): string {
  return `${n} ${n === 1 ? noun : nouns}`;
}
