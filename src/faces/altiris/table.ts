import type { Context } from '../../services/context.ts';

// One declaration per web method: its name, its parameters with their .NET types in order, its return
// type, and what it does. The dispatcher reads the arguments by this table and the WSDL is generated from
// it, so the published contract and what the server accepts cannot drift apart.

export type ParamType = 'string' | 'boolean' | 'int';
export type ReturnType = ParamType | 'void';

export interface Param {
  readonly name: string;
  readonly type: ParamType;
}

export type Value = string | boolean | number;

/** the arguments of one call, read and typed by the table */
export interface Args {
  str(name: string): string;
  bool(name: string): boolean;
  int(name: string): number;
}

/** what a method's implementation gets: the caller's context, its arguments and the server's options */
export interface Call {
  readonly ctx: Context;
  readonly args: Args;
  readonly env: AltirisEnv;
}

export interface AltirisEnv {
  /** the folder of the package cache (staging) */
  readonly dir: string;
}

export interface Method {
  readonly name: string;
  readonly doc: string;
  readonly params: readonly Param[];
  readonly returns: ReturnType;
  run(call: Call): Promise<Value | void>;
}

/** `method('Name', 'string', 'doc', ['p:string', 'q:boolean'], run)` */
export function method(
  name: string,
  returns: ReturnType,
  doc: string,
  params: readonly `${string}:${ParamType}`[],
  run: (call: Call) => Promise<Value | void>,
): Method {
  return {
    name,
    doc,
    returns,
    params: params.map((p) => {
      const [n, t] = p.split(':') as [string, ParamType];
      return { name: n, type: t };
    }),
    run,
  };
}
