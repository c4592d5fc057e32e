// Alerts, the organizations' alert subscriptions and the delivery log (src/services/alerts.ts).
import { useState } from 'react';
import {
  Alert as Notice,
  Badge,
  Button,
  Code,
  Group as Row,
  Modal,
  MultiSelect,
  NumberInput,
  SegmentedControl,
  Select,
  Stack,
  Tabs,
  TextInput,
} from '@mantine/core';
import { notifications } from '@mantine/notifications';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { ALERT_KINDS } from '../../../src/core/alerts/index.ts';
import type { Alert, AlertDelivery, AlertSubscription } from '../../../src/wire/alerts.ts';
import { ApiError, del, post, qs } from '../api.ts';
import { useSession } from '../session.tsx';
import { PageTitle, label, when } from '../ui.tsx';
import { CreateModal, LIMIT, Listing, OrganizationSelect, useCreate } from './AdminParts.tsx';

const KIND_LABEL: Record<string, string> = {
  'update.critical_missing': 'Critical update missing',
  'install.failed': 'Install failed',
  'reboot.pending': 'Reboot pending',
  'device.silent': 'Device silent',
  'rollout.gate_failed': 'Rollout gate failed',
  'rollout.ring_finished': 'Rollout ring finished',
  'approval.waiting': 'Approval waiting',
  'window.ended': 'Maintenance window ended',
};
const kindLabel = (k: string) => KIND_LABEL[k] ?? label(k);
const DELIVERY_COLOR: Record<string, string> = { delivered: 'green', pending: 'yellow', failed: 'red' };

function AlertList() {
  const client = useQueryClient();
  const { organizationId, orgName, can } = useSession();
  const [state, setState] = useState('open');
  const close = useMutation({
    mutationFn: (id: number) => post<Alert>(`/alerts/${id}/close`, { notes: 'closed in the console' }),
    onSuccess: () => {
      void client.invalidateQueries({ queryKey: ['alerts'] });
      notifications.show({ color: 'green', message: 'Alert closed' });
    },
    onError: (e: ApiError) =>
      notifications.show({ color: 'red', title: 'Closing failed', message: e.message }),
  });
  return (
    <Stack>
      <SegmentedControl
        aria-label="Alert state"
        value={state}
        onChange={setState}
        data={[
          { value: 'open', label: 'Open' },
          { value: 'closed', label: 'Closed' },
          { value: 'all', label: 'All' },
        ]}
        w="fit-content"
      />
      <Listing<Alert>
        queryKey={['alerts', organizationId, state]}
        path={(offset) =>
          `/alerts${qs({ organizationId: organizationId ?? undefined, state: state === 'all' ? undefined : state, limit: LIMIT, offset })}`
        }
        what="alerts"
        empty={state === 'open' ? 'No open alerts: nothing needs attention.' : 'No alerts.'}
        head={['Raised', 'Kind', 'Alert', 'Organization', 'State', '']}
        row={(a) => [
          when(a.createdAt),
          <Badge key="k" variant="outline" color="gray.8" tt="none" title={a.kind}>
            {kindLabel(a.kind)}
          </Badge>,
          <span key="s" title={a.message}>
            {a.subject}
          </span>,
          orgName(a.organizationId),
          a.state === 'open' ? 'open' : `closed by ${a.closedBy ?? '?'} ${when(a.closedAt)}`,
          a.state === 'open' && can('manage_devices') ? (
            <Button key="c" size="xs" variant="light" onClick={() => close.mutate(a.id)}>
              Close
            </Button>
          ) : null,
        ]}
      />
    </Stack>
  );
}

function Subscriptions() {
  const client = useQueryClient();
  const { organizationId, orgName, can } = useSession();
  const [open, setOpen] = useState(false);
  const [org, setOrg] = useState<string | null>(organizationId ? String(organizationId) : null);
  const [name, setName] = useState('');
  const [channel, setChannel] = useState<string>('webhook');
  const [kinds, setKinds] = useState<string[]>(['install.failed', 'rollout.gate_failed']);
  const [url, setUrl] = useState('');
  const [recipients, setRecipients] = useState('');
  const [digest, setDigest] = useState<number | string>(60);
  const [secret, setSecret] = useState<string | null>(null);
  const create = useCreate<object, AlertSubscription>('/alert-subscriptions', 'alert-subscriptions', (s) => {
    setOpen(false);
    setName('');
    if (s.secret) setSecret(s.secret);
  });
  const act = useMutation({
    mutationFn: ({ id, action }: { id: number; action: 'delete' | 'resume' }) =>
      action === 'delete' ? del(`/alert-subscriptions/${id}`) : post(`/alert-subscriptions/${id}/resume`),
    onSuccess: () => void client.invalidateQueries({ queryKey: ['alert-subscriptions'] }),
    onError: (e: ApiError) => notifications.show({ color: 'red', message: e.message }),
  });
  const admin = can('administer');
  return (
    <Stack>
      {admin && (
        <Button w="fit-content" onClick={() => setOpen(true)}>
          New subscription
        </Button>
      )}
      <Listing<AlertSubscription>
        queryKey={['alert-subscriptions', organizationId]}
        path={(offset) =>
          `/alert-subscriptions${qs({ organizationId: organizationId ?? undefined, limit: LIMIT, offset })}`
        }
        what="subscriptions"
        empty="No subscriptions: alerts are only listed here."
        head={['Name', 'Organization', 'Channel', 'Kinds', 'Where', 'State', '']}
        row={(s) => [
          s.name,
          orgName(s.organizationId),
          s.channel,
          s.kinds.map(kindLabel).join(', '),
          s.url ?? s.recipients.join(', '),
          s.enabled ? 'enabled' : 'disabled',
          admin ? (
            <Row key="a" gap="xs" wrap="nowrap">
              <Button size="xs" variant="light" onClick={() => act.mutate({ id: s.id, action: 'resume' })}>
                Retry failed
              </Button>
              <Button
                size="xs"
                color="red"
                variant="light"
                onClick={() => act.mutate({ id: s.id, action: 'delete' })}
              >
                Delete
              </Button>
            </Row>
          ) : null,
        ]}
      />
      <CreateModal
        title="New alert subscription"
        opened={open}
        onClose={() => setOpen(false)}
        busy={create.isPending}
        error={create.error}
        onSubmit={() =>
          create.mutate({
            organizationId: Number(org),
            name,
            kinds,
            channel,
            ...(channel === 'webhook'
              ? { url }
              : {
                  recipients: recipients
                    .split(',')
                    .map((r) => r.trim())
                    .filter(Boolean),
                  options: { digestMinutes: Number(digest) },
                }),
          })
        }
      >
        <OrganizationSelect value={org} onChange={setOrg} />
        <TextInput label="Name" required value={name} onChange={(e) => setName(e.currentTarget.value)} />
        <MultiSelect
          label="Alert kinds"
          required
          data={ALERT_KINDS.map((k) => ({ value: k, label: kindLabel(k) }))}
          value={kinds}
          onChange={setKinds}
          comboboxProps={{ withinPortal: true }}
        />
        <Select
          label="Channel"
          data={[
            { value: 'webhook', label: 'Webhook (signed JSON POST)' },
            { value: 'email', label: 'E-mail digest' },
          ]}
          value={channel}
          onChange={(v) => setChannel(v ?? 'webhook')}
          comboboxProps={{ withinPortal: true }}
        />
        {channel === 'webhook' ? (
          <TextInput label="URL" required value={url} onChange={(e) => setUrl(e.currentTarget.value)} />
        ) : (
          <>
            <TextInput
              label="Recipients"
              description="comma-separated e-mail addresses"
              required
              value={recipients}
              onChange={(e) => setRecipients(e.currentTarget.value)}
            />
            <NumberInput label="Minutes per digest" min={1} max={1440} value={digest} onChange={setDigest} />
          </>
        )}
      </CreateModal>
      <Modal opened={!!secret} onClose={() => setSecret(null)} title="The webhook's signing secret">
        <Stack>
          <Notice color="yellow" title="Shown once">
            Every delivery carries X-Patchline-Signature: sha256=HMAC-SHA256 of the body with this secret.
          </Notice>
          <Code block data-testid="webhook-secret">
            {secret}
          </Code>
          <Button onClick={() => setSecret(null)}>Done</Button>
        </Stack>
      </Modal>
    </Stack>
  );
}

function Deliveries() {
  const { organizationId } = useSession();
  return (
    <Listing<AlertDelivery>
      queryKey={['alert-deliveries', organizationId]}
      path={(offset) =>
        `/alert-deliveries${qs({ organizationId: organizationId ?? undefined, limit: LIMIT, offset })}`
      }
      what="deliveries"
      empty="Nothing was sent yet."
      head={['Delivery', 'Subscription', 'Alert', 'Status', 'Attempts', 'Last attempt', 'Response']}
      row={(d) => [
        d.id,
        d.subscriptionId,
        d.alertId,
        <Badge key="s" color={DELIVERY_COLOR[d.status]} variant="light">
          {d.status}
        </Badge>,
        d.attempts,
        when(d.lastAttemptAt),
        [d.responseStatus, d.error ?? d.responseExcerpt].filter((x) => x !== null && x !== '').join(' '),
      ]}
    />
  );
}

export function Alerts() {
  return (
    <>
      <PageTitle>Alerts</PageTitle>
      <Tabs defaultValue="alerts" keepMounted={false}>
        <Tabs.List mb="md">
          <Tabs.Tab value="alerts">Alerts</Tabs.Tab>
          <Tabs.Tab value="subscriptions">Subscriptions</Tabs.Tab>
          <Tabs.Tab value="deliveries">Delivery log</Tabs.Tab>
        </Tabs.List>
        <Tabs.Panel value="alerts">
          <AlertList />
        </Tabs.Panel>
        <Tabs.Panel value="subscriptions">
          <Subscriptions />
        </Tabs.Panel>
        <Tabs.Panel value="deliveries">
          <Deliveries />
        </Tabs.Panel>
      </Tabs>
    </>
  );
}
