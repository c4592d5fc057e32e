import type { Context } from '../../services/context.ts';

// A method of an area: named params in, a result out (rendered as the JSON-RPC result); errors are thrown
// as domain errors and rendered by jsonrpc.ts.
export type Method = (ctx: Context, params: Record<string, unknown>) => Promise<unknown>;
export type Methods = Readonly<Record<string, Method>>;
