import {
  Issues,
  at,
  checkUnique,
  got,
  isRecord,
  readArray,
  readInt,
  readString,
  rejectUnknown,
  type Json,
} from '../policies/fields.ts';
import { OS_FAMILIES, type OsFamily } from '../policies/model.ts';
import {
  DEFAULT_SCRIPT_LIMITS,
  SCRIPT_LIMITS,
  SCRIPT_SHELLS,
  SHELLS_BY_OS,
  defaultShell,
  type RequiredSoftwarePolicy,
  type Script,
  type ScriptLimits,
  type ScriptShell,
  type WorkletPolicy,
  type WorkletScripts,
} from './model.ts';

// The native shapes of worklet and required-software payloads, and of an ad-hoc script, with their
// validating parsers (every problem at once, each with its dotted path, as core/policies does).

const isOs = (v: unknown): v is OsFamily => (OS_FAMILIES as readonly unknown[]).includes(v);

function readOs(obj: Json, path: string, issues: Issues): OsFamily | undefined {
  const v = obj['osFamily'];
  if (v === undefined) {
    issues.add(at(path, 'osFamily'), 'is required');
    return undefined;
  }
  if (!isOs(v)) {
    issues.add(at(path, 'osFamily'), `must be one of ${OS_FAMILIES.join(', ')}, ${got(v)}`);
    return undefined;
  }
  return v;
}

/**
 * `{shell?, code}`; the shell defaults to the family's and must be one the family runs; without a family
 * (null: an ad-hoc script) the shell is required; `undefined`: the family was invalid (reported already)
 */
export function parseScript(
  v: unknown,
  path: string,
  issues: Issues,
  os: OsFamily | null | undefined,
): Script | undefined {
  if (!isRecord(v)) {
    issues.add(path, `must be an object {shell, code}, ${got(v)}`);
    return undefined;
  }
  rejectUnknown(v, ['shell', 'code'], path, issues);
  const code = readString(
    v,
    'code',
    path,
    issues,
    { min: 1, max: SCRIPT_LIMITS.codeMax, notBlank: true },
    true,
  );
  let shell: ScriptShell | undefined = os ? defaultShell(os) : undefined;
  const s = v['shell'];
  if (s !== undefined) {
    if (!(SCRIPT_SHELLS as readonly unknown[]).includes(s)) {
      issues.add(at(path, 'shell'), `must be one of ${SCRIPT_SHELLS.join(', ')}, ${got(s)}`);
      return undefined;
    }
    shell = s as ScriptShell;
    if (os && !SHELLS_BY_OS[os].includes(shell)) {
      issues.add(at(path, 'shell'), `${shell} does not run on ${os} (use ${SHELLS_BY_OS[os].join(' or ')})`);
      return undefined;
    }
  } else if (!shell) {
    if (os === null) issues.add(at(path, 'shell'), 'is required');
    return undefined;
  }
  return code === undefined ? undefined : { shell: shell!, code };
}

/** `{timeLimitSeconds?, outputCapBytes?}`; absent fields take the defaults */
export function parseLimits(v: unknown, path: string, issues: Issues): ScriptLimits {
  if (v === undefined || v === null) return DEFAULT_SCRIPT_LIMITS;
  if (!isRecord(v)) {
    issues.add(path, `must be an object {timeLimitSeconds, outputCapBytes}, ${got(v)}`);
    return DEFAULT_SCRIPT_LIMITS;
  }
  rejectUnknown(v, ['timeLimitSeconds', 'outputCapBytes'], path, issues);
  const t = SCRIPT_LIMITS.timeLimitSeconds;
  const o = SCRIPT_LIMITS.outputCapBytes;
  return {
    timeLimitSeconds: readInt(v, 'timeLimitSeconds', path, issues, t) ?? t.default,
    outputCapBytes: readInt(v, 'outputCapBytes', path, issues, o) ?? o.default,
  };
}

/** `{scripts: [{osFamily, evaluation: Script | null, remediation: Script}], limits?}` */
export function parseWorklet(v: unknown, path: string, issues: Issues): WorkletPolicy | undefined {
  if (!isRecord(v)) {
    issues.add(path, `must be an object {scripts, limits}, ${got(v)}`);
    return undefined;
  }
  rejectUnknown(v, ['scripts', 'limits'], path, issues);
  const list = readArray(v, 'scripts', path, issues, true);
  const scripts: (WorkletScripts | undefined)[] = [];
  if (list && list.length === 0) issues.add(at(path, 'scripts'), 'must name at least one OS family');
  if (list && list.length > OS_FAMILIES.length)
    issues.add(at(path, 'scripts'), `must have at most ${OS_FAMILIES.length} entries (one per OS family)`);
  else
    (list ?? []).forEach((item, i) => {
      const p = at(at(path, 'scripts'), i);
      if (!isRecord(item)) {
        issues.add(p, `must be an object {osFamily, evaluation, remediation}, ${got(item)}`);
        scripts.push(undefined);
        return;
      }
      rejectUnknown(item, ['osFamily', 'evaluation', 'remediation'], p, issues);
      const os = readOs(item, p, issues);
      const ev = item['evaluation'];
      const evaluation =
        ev === undefined || ev === null ? null : parseScript(ev, at(p, 'evaluation'), issues, os);
      const rem = item['remediation'];
      const remediation =
        rem === undefined
          ? (issues.add(at(p, 'remediation'), 'is required'), undefined)
          : parseScript(rem, at(p, 'remediation'), issues, os);
      scripts.push(
        os && remediation && evaluation !== undefined ? { osFamily: os, evaluation, remediation } : undefined,
      );
    });
  checkUnique(
    scripts,
    at(path, 'scripts'),
    issues,
    (s) => s.osFamily,
    (s) => `osFamily ${s.osFamily}`,
  );
  const limits = parseLimits(v['limits'], at(path, 'limits'), issues);
  if (!list || !scripts.length || scripts.some((s) => s === undefined)) return undefined;
  return { scripts: scripts as WorkletScripts[], limits };
}

/** `{osFamily, packageName, packageVersion?, installation: Script, limits?}` */
export function parseRequiredSoftware(
  v: unknown,
  path: string,
  issues: Issues,
): RequiredSoftwarePolicy | undefined {
  if (!isRecord(v)) {
    issues.add(path, `must be an object {osFamily, packageName, packageVersion, installation}, ${got(v)}`);
    return undefined;
  }
  rejectUnknown(v, ['osFamily', 'packageName', 'packageVersion', 'installation', 'limits'], path, issues);
  const os = readOs(v, path, issues);
  const packageName = readString(
    v,
    'packageName',
    path,
    issues,
    { min: 1, max: SCRIPT_LIMITS.packageNameMax, notBlank: true },
    true,
  );
  if (packageName !== undefined && !PACKAGE_NAME.test(packageName))
    issues.add(
      at(path, 'packageName'),
      'must be a package name: letters, digits and . _ + - : ~ only, no spaces',
    );
  let packageVersion: string | null = null;
  if (v['packageVersion'] !== undefined && v['packageVersion'] !== null && v['packageVersion'] !== '') {
    packageVersion =
      readString(v, 'packageVersion', path, issues, { max: SCRIPT_LIMITS.packageVersionMax }) ?? null;
    if (packageVersion !== null && !PACKAGE_VERSION.test(packageVersion))
      issues.add(
        at(path, 'packageVersion'),
        'must be a version: letters, digits and . _ + - : ~ only, no spaces',
      );
  }
  const inst = v['installation'];
  const installation =
    inst === undefined
      ? (issues.add(at(path, 'installation'), 'is required'), undefined)
      : parseScript(inst, at(path, 'installation'), issues, os);
  const limits = parseLimits(v['limits'], at(path, 'limits'), issues);
  if (!os || packageName === undefined || !installation) return undefined;
  return { osFamily: os, packageName: packageName.trim(), packageVersion, installation, limits };
}

/** the characters a package name or version may hold: they are put into the derived evaluation script */
export const PACKAGE_NAME = /^[A-Za-z0-9][A-Za-z0-9._+\-:~]*$/;
export const PACKAGE_VERSION = /^[A-Za-z0-9][A-Za-z0-9._+\-:~]*$/;

/** an ad-hoc script body `{shell, code, limits?}` (no OS family: the shell is required) */
export function parseAdHocScript(input: unknown): { script: Script; limits: ScriptLimits } {
  const issues = new Issues();
  if (!isRecord(input)) {
    issues.add('', `a script must be an object {shell, code, limits}, ${got(input)}`);
    throw issues.error('invalid script');
  }
  const { limits: l, ...rest } = input;
  const script = parseScript(rest, '', issues, null);
  const limits = parseLimits(l, 'limits', issues);
  issues.throwIfAny('invalid script');
  return { script: script!, limits };
}
