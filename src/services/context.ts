import { ALL_ACCESS, ownsOrganization, seesGroup, seesOrganization, type Access } from '../core/access.ts';
import { forbidden, notFound } from '../core/errors.ts';
import { PRIVILEGES, type Privilege } from '../core/privileges.ts';
import type { Store } from '../store/db.ts';

export type ActorType = 'user' | 'api_key' | 'device' | 'system';

/** who is acting: resolved once per request by the face, checked by services */
export interface Actor {
  readonly type: ActorType;
  /** user id, API key id, device id, or the system task's name */
  readonly id: string;
  /** shown in the event log */
  readonly name: string;
  readonly userId?: number;
  readonly roleId?: number;
  readonly scopeId?: number;
  readonly sessionId?: number;
  readonly privileges: ReadonlySet<Privilege>;
  readonly access: Access;
}

/** The context every use case takes: the store and the actor, with the checks done once for all faces. */
export class Context {
  /** how many authorization checks this context has run: the faces' backstop fails a request with none */
  #checks = 0;

  constructor(
    readonly store: Store,
    readonly actor: Actor,
    readonly now: () => Date = () => new Date(),
  ) {}

  get access() {
    return this.actor.access;
  }

  /** true once a use case has checked what this actor may do (see faces/shared/authz-backstop.ts) */
  get authorizationChecked(): boolean {
    return this.#checks > 0;
  }

  can(p: Privilege): boolean {
    this.#checks++;
    return this.actor.privileges.has(p);
  }
  /** for what every signed-in actor may do to itself (its own profile, its own session): says so explicitly */
  authorizeSelf(): void {
    this.#checks++;
  }
  authorize(p: Privilege): void {
    if (!this.can(p)) throw forbidden(`this needs the '${p}' privilege, which your role does not have`);
  }
  /** administration of things that span every organization (users, roles, scopes, new organizations) */
  authorizeGlobal(p: Privilege = 'administer'): void {
    this.authorize(p);
    if (!this.actor.access.all) throw forbidden('this needs a scope that covers every organization');
  }
  /** throws not found (never forbidden) for an organization outside the scope */
  seeOrganization(orgId: number, what = 'organization'): void {
    if (!seesOrganization(this.access, orgId)) throw notFound(what, orgId);
  }
  ownsOrganization(orgId: number): boolean {
    return ownsOrganization(this.access, orgId);
  }
  seesGroup(orgId: number, groupId: number): boolean {
    return seesGroup(this.access, orgId, groupId);
  }
  withStore(store: Store): Context {
    return new Context(store, this.actor, this.now);
  }
}

export const SYSTEM_ACTOR: Actor = {
  type: 'system',
  id: 'system',
  name: 'system',
  privileges: new Set(PRIVILEGES),
  access: ALL_ACCESS,
};

export const systemContext = (store: Store, name = 'system') =>
  new Context(store, { ...SYSTEM_ACTOR, id: name, name });
