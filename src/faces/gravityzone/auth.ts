import { unauthenticated } from '../../core/errors.ts';

// GravityZone's authentication (its API reference, "Authentication"): HTTP Basic with the API key as the
// user name and an empty password, `Authorization: Basic base64(apiKey + ":")`. The key is a Patchline API
// key (`plk_…`), resolved by services/auth.ts like every other; a session token is not accepted here.

export const FACE = 'gravityzone';

/** the API key of the Authorization header; throws unauthenticated saying what is wrong */
export function apiKeyOf(header: string | undefined): string {
  if (!header) throw unauthenticated('send "Authorization: Basic base64(<API key>:)"');
  const m = /^Basic\s+(\S+)\s*$/i.exec(header);
  if (!m?.[1]) throw unauthenticated('the Authorization header must use the Basic scheme with the API key');
  const text = Buffer.from(m[1], 'base64').toString('utf8');
  const colon = text.indexOf(':');
  const key = colon < 0 ? text : text.slice(0, colon);
  if (!key.startsWith('plk_') || colon < 0)
    throw unauthenticated('the Basic credential must be the API key followed by ":" (an empty password)');
  return key;
}
