import {
  AppShell,
  Burger,
  Button,
  Group,
  NavLink,
  ScrollArea,
  Select,
  Text,
  VisuallyHidden,
} from '@mantine/core';
import { useDisclosure } from '@mantine/hooks';
import { NavLink as RouterLink, Navigate, Route, Routes, useLocation } from 'react-router';
import { useEffect } from 'react';
import { useSession } from './session.tsx';
import { SignIn } from './pages/SignIn.tsx';
import { Dashboard } from './pages/Dashboard.tsx';
import { Devices } from './pages/Devices.tsx';
import { DevicePage } from './pages/DevicePage.tsx';
import { Organizations } from './pages/AdminOrganizations.tsx';
import { Groups } from './pages/AdminGroups.tsx';
import { Users } from './pages/AdminUsers.tsx';
import { Roles } from './pages/AdminRoles.tsx';
import { Scopes } from './pages/AdminScopes.tsx';
import { ApiKeys } from './pages/AdminApiKeys.tsx';
import { EventLog } from './pages/EventLog.tsx';
import { Policies, PolicyPage } from './pages/Policies.tsx';
import { Windows } from './pages/Windows.tsx';
import { Tasks, TaskInstancePage } from './pages/Tasks.tsx';
import { Catalog } from './pages/Catalog.tsx';
import { Enrollment } from './pages/Enrollment.tsx';
import { AutoApproval, Rollouts } from './pages/Rollouts.tsx';
import { Alerts } from './pages/Alerts.tsx';
import { Empty, PageTitle, usePageName } from './ui.tsx';

const NAV: { to: string; label: string; privilege?: string; section?: string }[] = [
  { to: '/', label: 'Dashboard' },
  { to: '/devices', label: 'Devices' },
  { to: '/policies', label: 'Policies' },
  { to: '/maintenance-windows', label: 'Maintenance windows' },
  { to: '/tasks', label: 'Tasks' },
  { to: '/rollouts', label: 'Rollouts' },
  { to: '/auto-approval', label: 'Auto-approval' },
  { to: '/alerts', label: 'Alerts' },
  { to: '/catalog', label: 'Catalog' },
  { to: '/enrollment', label: 'Enroll devices' },
  { to: '/admin/organizations', label: 'Organizations', section: 'Administration' },
  { to: '/admin/groups', label: 'Groups' },
  { to: '/admin/users', label: 'Users', privilege: 'administer' },
  { to: '/admin/roles', label: 'Roles', privilege: 'administer' },
  { to: '/admin/scopes', label: 'Scopes', privilege: 'administer' },
  { to: '/admin/api-keys', label: 'API keys' },
  { to: '/admin/events', label: 'Event log' },
];

function OrganizationSwitcher() {
  const { organizations, organizationId, setOrganizationId } = useSession();
  if (organizations.length < 2) return null;
  return (
    <Select
      aria-label="Organization"
      data-testid="org-switcher"
      size="sm"
      w={{ base: 170, sm: 220 }}
      value={organizationId === null ? 'all' : String(organizationId)}
      onChange={(v) => setOrganizationId(!v || v === 'all' ? null : Number(v))}
      data={[
        { value: 'all', label: 'All organizations' },
        ...organizations.map((o) => ({ value: String(o.id), label: o.name })),
      ]}
      allowDeselect={false}
      comboboxProps={{ withinPortal: true }}
    />
  );
}

export function App() {
  const { token, me, signOut, can } = useSession();
  const [opened, { toggle, close }] = useDisclosure();
  const location = useLocation();
  const pageName = usePageName();
  useEffect(() => close(), [location.pathname, close]);

  if (!token) return <SignIn />;

  return (
    <AppShell
      header={{ height: 60 }}
      navbar={{ width: 230, breakpoint: 'sm', collapsed: { mobile: !opened } }}
      padding="md"
    >
      <a href="#main" className="skip-link">
        Skip to content
      </a>
      <AppShell.Header>
        <Group h="100%" px="md" justify="space-between" wrap="nowrap">
          <Group gap="sm" wrap="nowrap">
            <Burger
              opened={opened}
              onClick={toggle}
              hiddenFrom="sm"
              size="sm"
              aria-label="Navigation"
              aria-expanded={opened}
              aria-controls="main-navigation"
            />
            <Text fw={700} size="lg" visibleFrom="xs">
              Patchline
            </Text>
          </Group>
          <Group gap="sm" wrap="nowrap">
            <OrganizationSwitcher />
            <Text size="sm" visibleFrom="sm" data-testid="signed-in-as">
              {me?.name}
            </Text>
            <Button variant="default" size="sm" onClick={() => void signOut()}>
              Sign out
            </Button>
          </Group>
        </Group>
      </AppShell.Header>
      <AppShell.Navbar p="xs" aria-label="Main navigation" id="main-navigation">
        <ScrollArea>
          {NAV.filter((n) => !n.privilege || can(n.privilege)).map((n) => (
            <div key={n.to}>
              {n.section && (
                <Text size="xs" fw={700} tt="uppercase" c="gray.7" mt="md" mb={4} px="sm">
                  {n.section}
                </Text>
              )}
              <NavLink
                component={RouterLink}
                to={n.to}
                end={n.to === '/'}
                label={n.label}
                active={n.to === '/' ? location.pathname === '/' : location.pathname.startsWith(n.to)}
              />
            </div>
          ))}
        </ScrollArea>
      </AppShell.Navbar>
      <AppShell.Main id="main" tabIndex={-1}>
        <VisuallyHidden aria-live="polite" data-testid="route-announcer">
          {pageName}
        </VisuallyHidden>
        <Routes>
          <Route path="/" element={<Dashboard />} />
          <Route path="/devices" element={<Devices />} />
          <Route path="/devices/:id" element={<DevicePage />} />
          <Route path="/policies" element={<Policies />} />
          <Route path="/policies/:id" element={<PolicyPage />} />
          <Route path="/maintenance-windows" element={<Windows />} />
          <Route path="/tasks" element={<Tasks />} />
          <Route path="/tasks/instances/:id" element={<TaskInstancePage />} />
          <Route path="/alerts" element={<Alerts />} />
          <Route path="/catalog" element={<Catalog />} />
          <Route path="/rollouts" element={<Rollouts />} />
          <Route path="/auto-approval" element={<AutoApproval />} />
          <Route path="/enrollment" element={<Enrollment />} />
          <Route path="/admin/organizations" element={<Organizations />} />
          <Route path="/admin/groups" element={<Groups />} />
          <Route path="/admin/users" element={<Users />} />
          <Route path="/admin/roles" element={<Roles />} />
          <Route path="/admin/scopes" element={<Scopes />} />
          <Route path="/admin/api-keys" element={<ApiKeys />} />
          <Route path="/admin/events" element={<EventLog />} />
          <Route path="/login" element={<Navigate to="/" replace />} />
          <Route
            path="*"
            element={
              <>
                <PageTitle>Page not found</PageTitle>
                <Empty>There is no page at {location.pathname}.</Empty>
              </>
            }
          />
        </Routes>
      </AppShell.Main>
    </AppShell>
  );
}
