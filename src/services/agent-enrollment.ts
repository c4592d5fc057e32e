import { invalid, notFound, unauthenticated } from '../core/errors.ts';
import type { Store } from '../store/db.ts';
import * as repo from '../store/repos/agents-repo.ts';
import { insertDevice } from '../store/repos/devices-repo.ts';
import { getGroup } from '../store/repos/groups-repo.ts';
import { getOrganization } from '../store/repos/organizations-repo.ts';
import type { EnrollRequest, EnrollResponse } from '../wire/agent.ts';
import { deviceActor } from './agent-devices.ts';
import { Context } from './context.ts';
import { record } from './events.ts';
import { newToken, tokenHash } from './secrets.ts';

// How a device joins: an organization's install token (made by a person), exchanged by the agent for the
// device's own credential.

/** an install token for an organization (optionally enrolling into a group); shown once */
export async function createInstallToken(
  ctx: Context,
  input: { organizationId: number; groupId?: number | null; name?: string; expiresAt?: Date | null },
) {
  ctx.seeOrganization(input.organizationId);
  ctx.authorize('manage_devices');
  // a scope that covers every organization sees ids that name none: found here, not by the foreign key
  if (!(await getOrganization(ctx.store.db, input.organizationId)))
    throw notFound('organization', input.organizationId);
  if (!ctx.ownsOrganization(input.organizationId) && input.groupId == null)
    throw invalid('your scope covers only some groups of this organization', [
      { path: '/groupId', message: 'name a group inside your scope' },
    ]);
  if (input.groupId != null) {
    const g = await getGroup(ctx.store.db, input.groupId);
    if (!g || !ctx.seesGroup(g.organization_id, g.id)) throw notFound('group', input.groupId);
    if (g.organization_id !== input.organizationId)
      throw invalid('the group belongs to another organization', [
        { path: '/groupId', message: 'must be a group of the organization' },
      ]);
  }
  const token = newToken('plt');
  const row = await ctx.store.transaction(async (tx) => {
    const r = await repo.insertInstallToken(tx, {
      organization_id: input.organizationId,
      group_id: input.groupId ?? null,
      name: input.name ?? '',
      token_hash: tokenHash(token),
      expires_at: input.expiresAt ?? null,
    });
    await record(ctx, tx, {
      kind: 'install_token.created',
      organizationId: input.organizationId,
      subjectType: 'install_token',
      subjectId: r.id,
      data: { name: input.name ?? '', groupId: input.groupId ?? null },
    });
    return r;
  });
  return {
    id: row.id,
    token,
    organizationId: input.organizationId,
    groupId: input.groupId ?? null,
    createdAt: row.created_at,
  };
}

/** what the console and API show of an install token (never the token: it is shown once, at creation) */
export interface InstallTokenView {
  id: number;
  name: string;
  organizationId: number;
  groupId: number | null;
  createdAt: Date;
  expiresAt: Date | null;
  revokedAt: Date | null;
  /** usable for enrolling: neither revoked nor expired */
  active: boolean;
}

const tokenView = (
  t: NonNullable<Awaited<ReturnType<typeof repo.getInstallToken>>>,
  now: Date,
): InstallTokenView => ({
  id: t.id,
  name: t.name,
  organizationId: t.organization_id,
  groupId: t.group_id,
  createdAt: t.created_at,
  expiresAt: t.expires_at,
  revokedAt: t.revoked_at,
  active: !t.revoked_at && !(t.expires_at && t.expires_at <= now),
});

/** a token the actor sees: its organization's whole, or the token's group within the actor's groups */
const seesToken = (ctx: Context, t: { organization_id: number; group_id: number | null }) =>
  ctx.ownsOrganization(t.organization_id) ||
  (t.group_id !== null && ctx.seesGroup(t.organization_id, t.group_id));

/** an organization's install tokens the actor sees, the oldest first */
export async function listInstallTokens(ctx: Context, organizationId: number): Promise<InstallTokenView[]> {
  ctx.authorize('read');
  ctx.seeOrganization(organizationId);
  const now = ctx.now();
  return (await repo.listInstallTokens(ctx.store.db, organizationId))
    .filter((t) => seesToken(ctx, t))
    .map((t) => tokenView(t, now));
}

/** revokes an install token: agents can no longer enroll with it (devices enrolled keep their credential) */
export async function revokeInstallToken(ctx: Context, id: number): Promise<InstallTokenView> {
  ctx.authorize('manage_devices');
  const t = await repo.getInstallToken(ctx.store.db, id);
  if (!t || !seesToken(ctx, t)) throw notFound('install token', id);
  if (t.revoked_at) return tokenView(t, ctx.now());
  return ctx.store.transaction(async (tx) => {
    await repo.revokeInstallToken(tx, id);
    await record(ctx, tx, {
      kind: 'install_token.revoked',
      organizationId: t.organization_id,
      subjectType: 'install_token',
      subjectId: id,
      data: { name: t.name },
    });
    return tokenView((await repo.getInstallToken(tx, id))!, ctx.now());
  });
}

/** Enrolls a device with an install token; returns the device's own credential (shown once). */
export async function enroll(store: Store, input: EnrollRequest): Promise<EnrollResponse> {
  const t = await repo.getInstallTokenByHash(store.db, tokenHash(input.token));
  if (!t || t.revoked_at || (t.expires_at && t.expires_at <= new Date()))
    throw unauthenticated('the install token is unknown, revoked or expired');
  const org = await getOrganization(store.db, t.organization_id);
  if (!org?.root_group_id) throw unauthenticated('the install token’s organization no longer exists');
  const credential = newToken('pld');
  const deviceId = await store.transaction(async (tx) => {
    const { id } = await insertDevice(tx, {
      organization_id: t.organization_id,
      group_id: t.group_id ?? org.root_group_id!,
      name: input.name,
      hostname: input.hostname ?? input.name,
      os_family: input.osFamily ?? 'unknown',
      os_name: input.osName ?? '',
      os_version: input.osVersion ?? '',
      architecture: input.architecture ?? '',
      agent_version: input.agentVersion ?? null,
      time_zone: input.timeZone ?? null,
      credential_hash: tokenHash(credential),
      credential_generation: 1,
      enrolled_at: new Date(),
      last_seen_at: new Date(),
    });
    const ctx = new Context(
      store,
      deviceActor({
        id,
        organization_id: t.organization_id,
        group_id: t.group_id ?? org.root_group_id!,
        name: input.name,
      }),
    );
    await record(ctx, tx, {
      kind: 'device.enrolled',
      organizationId: t.organization_id,
      subjectType: 'device',
      subjectId: id,
      deviceId: id,
      data: { name: input.name, installTokenId: t.id },
    });
    return id;
  });
  return { deviceId, credential, organizationId: t.organization_id, checkinIntervalSeconds: 300 };
}
