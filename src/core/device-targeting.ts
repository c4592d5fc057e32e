import { Issues, at, got, isRecord } from './policies/fields.ts';

// Device targeting by attributes (Automox "Device Targeting" filters): a list of lines, each naming a
// device attribute, an operator and up to ten values. Lines are ANDed; the values of one line are ORed
// (a device matches `in` when one value matches, `not-in` when none does). Values match without regard
// to case; `hostname` matches the device's host name or its name.

export const DEVICE_FILTER_FIELDS = [
  'tag',
  'ip-addr',
  'hostname',
  'os-family',
  'os-name',
  'os-version',
] as const;
export type DeviceFilterField = (typeof DEVICE_FILTER_FIELDS)[number];
export const DEVICE_FILTER_OPS = ['in', 'not-in'] as const;
export type DeviceFilterOp = (typeof DEVICE_FILTER_OPS)[number];

/** Automox: up to 10 filters per policy and 10 values per filter */
export const DEVICE_FILTER_LIMITS = { lines: 10, values: 10, valueLength: 255 } as const;

export interface DeviceFilterLine {
  readonly field: DeviceFilterField;
  readonly op: DeviceFilterOp;
  readonly values: readonly string[];
}

/** what a filter line reads of a device */
export interface TargetableDevice {
  readonly name: string;
  readonly hostname: string | null;
  readonly tags: readonly string[];
  readonly ipAddresses: readonly string[];
  /** windows, linux, macos */
  readonly osFamily: string | null;
  readonly osName: string | null;
  readonly osVersion: string | null;
}

/** Automox's OS family names (and Patchline's) → Patchline's */
const FAMILY: Record<string, string> = {
  windows: 'windows',
  linux: 'linux',
  mac: 'macos',
  macos: 'macos',
};

const fold = (s: string) => s.trim().toLowerCase();

function attributeValues(d: TargetableDevice, field: DeviceFilterField): string[] {
  switch (field) {
    case 'tag':
      return [...d.tags];
    case 'ip-addr':
      return [...d.ipAddresses];
    case 'hostname':
      return [d.hostname, d.name].filter((x): x is string => !!x);
    case 'os-family':
      return d.osFamily ? [d.osFamily] : [];
    case 'os-name':
      return d.osName ? [d.osName] : [];
    case 'os-version':
      return d.osVersion ? [d.osVersion] : [];
  }
}

export function matchesDeviceFilters(d: TargetableDevice, lines: readonly DeviceFilterLine[]): boolean {
  return lines.every((line) => {
    const have = new Set(attributeValues(d, line.field).map(fold));
    const want = line.values.map((v) =>
      line.field === 'os-family' ? (FAMILY[fold(v)] ?? fold(v)) : fold(v),
    );
    const hit = want.some((v) => have.has(v));
    return line.op === 'in' ? hit : !hit;
  });
}

/** reads filter lines `[{"field", "op", "value": [...]}]` from untrusted JSON, every problem named */
export function parseDeviceFilters(v: unknown, path: string, issues: Issues): DeviceFilterLine[] {
  if (!Array.isArray(v)) {
    issues.add(path, `must be an array of {"field", "op", "value"}, ${got(v)}`);
    return [];
  }
  if (v.length > DEVICE_FILTER_LIMITS.lines)
    issues.add(path, `must hold at most ${DEVICE_FILTER_LIMITS.lines} filters, got ${v.length}`);
  const out: DeviceFilterLine[] = [];
  v.forEach((raw, i) => {
    const p = at(path, i);
    if (!isRecord(raw)) return issues.add(p, `must be an object {"field", "op", "value"}, ${got(raw)}`);
    for (const k of Object.keys(raw))
      if (k !== 'field' && k !== 'op' && k !== 'value')
        issues.add(at(p, k), 'is not a field of a device filter');
    const field = raw.field;
    if (!(DEVICE_FILTER_FIELDS as readonly unknown[]).includes(field))
      issues.add(at(p, 'field'), `must be one of ${DEVICE_FILTER_FIELDS.join(', ')}, ${got(field)}`);
    const op = raw.op;
    if (!(DEVICE_FILTER_OPS as readonly unknown[]).includes(op))
      issues.add(at(p, 'op'), `must be one of ${DEVICE_FILTER_OPS.join(', ')}, ${got(op)}`);
    const values = raw.value;
    const vp = at(p, 'value');
    if (!Array.isArray(values) || values.length === 0)
      return issues.add(vp, `must be a non-empty array of strings, ${got(values)}`);
    if (values.length > DEVICE_FILTER_LIMITS.values)
      issues.add(vp, `must hold at most ${DEVICE_FILTER_LIMITS.values} values, got ${values.length}`);
    let ok = true;
    values.forEach((x: unknown, j) => {
      if (typeof x !== 'string' || !x.trim()) {
        ok = false;
        issues.add(at(vp, j), `must be a non-empty string, ${got(x)}`);
      } else if (x.length > DEVICE_FILTER_LIMITS.valueLength) {
        ok = false;
        issues.add(at(vp, j), `must be at most ${DEVICE_FILTER_LIMITS.valueLength} characters`);
      }
    });
    if (ok)
      out.push({ field: field as DeviceFilterField, op: op as DeviceFilterOp, values: values as string[] });
  });
  return out;
}
