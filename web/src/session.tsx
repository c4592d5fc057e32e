import { createContext, useContext, useEffect, useMemo, useState, type ReactNode } from 'react';
import { useQuery, useQueryClient } from '@tanstack/react-query';
import {
  get,
  getToken,
  onTokenChange,
  post,
  setToken,
  type Me,
  type Organization,
  type Page,
} from './api.ts';

interface Session {
  token: string | null;
  me: Me | undefined;
  organizations: Organization[];
  /** the organizations in scope have been read (the list may be empty) */
  organizationsLoaded: boolean;
  /** the organization the operator works in, or null for all of their organizations */
  organizationId: number | null;
  setOrganizationId: (id: number | null) => void;
  can: (privilege: string) => boolean;
  signIn: (username: string, password: string) => Promise<void>;
  signOut: () => Promise<void>;
  orgName: (id: number | null | undefined) => string;
}

const SessionContext = createContext<Session | null>(null);
const ORG_KEY = 'patchline.organization';

export function SessionProvider({ children }: { children: ReactNode }) {
  const [token, setTok] = useState(getToken());
  const client = useQueryClient();
  const [organizationId, setOrg] = useState<number | null>(() => {
    const v = sessionStorage.getItem(ORG_KEY);
    return v ? Number(v) : null;
  });
  useEffect(
    () =>
      onTokenChange((t) => {
        setTok(t);
        if (!t) {
          client.clear();
          sessionStorage.removeItem(ORG_KEY);
          setOrg(null);
        }
      }),
    [client],
  );
  const me = useQuery({ queryKey: ['me', token], queryFn: () => get<Me>('/me'), enabled: !!token });
  const orgs = useQuery({
    queryKey: ['organizations', 'all', token],
    queryFn: () => get<Page<Organization>>('/organizations?limit=500&sort=name'),
    enabled: !!token,
  });
  const organizations = useMemo(() => orgs.data?.items ?? [], [orgs.data]);
  // an organization that is no longer visible (another user signed in) is forgotten
  useEffect(() => {
    if (orgs.data && organizationId !== null && !organizations.some((o) => o.id === organizationId)) {
      sessionStorage.removeItem(ORG_KEY);
      setOrg(null);
    }
  }, [orgs.data, organizations, organizationId]);

  const value: Session = {
    token,
    me: me.data,
    organizations,
    organizationsLoaded: orgs.isFetched,
    organizationId,
    setOrganizationId: (id) => {
      if (id === null) sessionStorage.removeItem(ORG_KEY);
      else sessionStorage.setItem(ORG_KEY, String(id));
      setOrg(id);
    },
    can: (p) => !!me.data?.privileges.includes(p),
    signIn: async (username, password) => {
      const r = await post<{ token: string }>('/auth/login', { username, password });
      client.clear();
      setToken(r.token);
    },
    signOut: async () => {
      try {
        await post('/auth/logout');
      } catch {
        /* the session may already be gone */
      }
      setToken(null);
    },
    orgName: (id) =>
      id == null ? '—' : (organizations.find((o) => o.id === id)?.name ?? `organization ${id}`),
  };
  return <SessionContext.Provider value={value}>{children}</SessionContext.Provider>;
}

export function useSession(): Session {
  const s = useContext(SessionContext);
  if (!s) throw new Error('useSession outside SessionProvider');
  return s;
}
