import { Issues, isRecord, got, readBoolean, readString, rejectUnknown } from '../policies/fields.ts';
import type { Script, ScriptLimits } from './model.ts';
import { parseLimits, parseScript } from './parse.ts';

// Procedures: an organization's catalogue of named scripts (Kaseya's "agent procedures"), run on one
// device now or on a schedule through the one script runner (an ad-hoc step: adHocSteps). A procedure
// names its shell; a device whose family does not run that shell is refused when the run is asked for.
// `folder` is a slash-separated path for people ("shared/windows/updates"), nothing more.

export interface Procedure {
  readonly name: string;
  readonly folder: string;
  readonly description: string | null;
  readonly script: Script;
  readonly limits: ScriptLimits;
  /** offered by Kaseya's quick launch list */
  readonly quickLaunch: boolean;
  /** offered on Kaseya's user portal */
  readonly portal: boolean;
}

export const PROCEDURE_LIMITS = { nameMax: 200, folderMax: 400, descriptionMax: 2000 } as const;

const FIELDS = ['name', 'folder', 'description', 'script', 'limits', 'quickLaunch', 'portal'];

/** a folder path: segments without control characters, joined by '/', no empty segment */
function readFolder(obj: Record<string, unknown>, issues: Issues): string | undefined {
  const v = readString(obj, 'folder', '', issues, { max: PROCEDURE_LIMITS.folderMax });
  if (v === undefined) return undefined;
  const folder = v.trim().replace(/^\/+|\/+$/g, '');
  if (folder && folder.split('/').some((s) => !s.trim()))
    issues.add('folder', 'must be segments separated by single slashes ("shared/windows")');
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(folder)) issues.add('folder', 'must not contain control characters');
  return folder;
}

/**
 * A procedure body `{name, folder?, description?, script: {shell, code}, limits?, quickLaunch?, portal?}`.
 * With `current` (an update) every field is optional and a field left out keeps its value; `description`
 * null clears it.
 */
export function parseProcedure(input: unknown, current?: Procedure): Procedure {
  const issues = new Issues();
  if (!isRecord(input)) {
    issues.add('', `a procedure must be an object {name, script, …}, ${got(input)}`);
    throw issues.error('invalid procedure');
  }
  rejectUnknown(input, FIELDS, '', issues);
  const name = readString(
    input,
    'name',
    '',
    issues,
    { min: 1, max: PROCEDURE_LIMITS.nameMax, notBlank: true },
    !current,
  );
  const folder = readFolder(input, issues);
  let description: string | null | undefined;
  if (input.description === null) description = null;
  else description = readString(input, 'description', '', issues, { max: PROCEDURE_LIMITS.descriptionMax });
  let script: Script | undefined;
  if (input.script !== undefined || !current) {
    if (input.script === undefined) issues.add('script', 'is required');
    else script = parseScript(input.script, 'script', issues, null);
  }
  const limits =
    input.limits === undefined && current ? current.limits : parseLimits(input.limits, 'limits', issues);
  const quickLaunch = readBoolean(input, 'quickLaunch', '', issues);
  const portal = readBoolean(input, 'portal', '', issues);
  issues.throwIfAny('invalid procedure');
  return {
    name: name?.trim() ?? current!.name,
    folder: folder ?? current?.folder ?? '',
    description: description === undefined ? (current?.description ?? null) : description || null,
    script: script ?? current!.script,
    limits,
    quickLaunch: quickLaunch ?? current?.quickLaunch ?? false,
    portal: portal ?? current?.portal ?? false,
  };
}

// ---- prompts ----
// Kaseya's script prompts (ScriptPrompts: Caption, Name, Value) give a procedure's run its variables.
// Patchline sets each as a variable at the top of the script, quoted so that a value is only ever data:
// sh/bash `NAME='value'` (a ' written as '\''), PowerShell `$NAME = 'value'` (a ' written as '').

export interface ScriptPrompt {
  readonly name: string;
  readonly value: string;
}

export const PROMPT_LIMITS = { count: 20, valueMax: 4096 } as const;
const PROMPT_NAME = /^[A-Za-z_][A-Za-z0-9_]{0,63}$/;

/** `[{name, value}]`: names are identifiers (each once), values text without NUL */
export function parsePrompts(v: unknown, path = 'prompts'): ScriptPrompt[] {
  const issues = new Issues();
  if (v === undefined || v === null) return [];
  if (!Array.isArray(v)) {
    issues.add(path, `must be a list of {name, value}, ${got(v)}`);
    throw issues.error('invalid prompts');
  }
  if (v.length > PROMPT_LIMITS.count) issues.add(path, `must hold at most ${PROMPT_LIMITS.count} prompts`);
  const out: ScriptPrompt[] = [];
  v.forEach((p: unknown, i) => {
    const at = `${path}[${i}]`;
    if (!isRecord(p)) return issues.add(at, `must be an object {name, value}, ${got(p)}`);
    const { name, value } = p;
    if (typeof name !== 'string' || !PROMPT_NAME.test(name))
      return issues.add(
        `${at}.name`,
        `must be a variable name (a letter or _, then letters, digits or _), ${got(name)}`,
      );
    if (typeof value !== 'string' || value.includes('\u0000') || [...value].length > PROMPT_LIMITS.valueMax)
      return issues.add(
        `${at}.value`,
        `must be text of at most ${PROMPT_LIMITS.valueMax} characters without NUL`,
      );
    if (out.some((o) => o.name === name)) return issues.add(`${at}.name`, `'${name}' is given twice`);
    out.push({ name, value });
  });
  issues.throwIfAny('invalid prompts');
  return out;
}

/** the script with its prompts set as variables at its top (the script itself when there are none) */
export function withPrompts(script: Script, prompts: readonly ScriptPrompt[]): Script {
  if (!prompts.length) return script;
  const lines = prompts.map((p) =>
    script.shell === 'powershell'
      ? `$${p.name} = '${p.value.replaceAll("'", "''")}'`
      : `${p.name}='${p.value.replaceAll("'", "'\\''")}'`,
  );
  return { shell: script.shell, code: `${lines.join('\n')}\n${script.code}` };
}
