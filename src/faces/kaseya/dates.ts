// How VSA writes each date-time field (seed 004), decided once here. Every instant is written in UTC
// with no zone designator (GET /environment says TimeZoneOffset 0), in one of two forms:
//
//   second    yyyy-MM-ddTHH:mm:ss        what VSA keeps to the second: times agents report and
//                                        schedule times. The seed's only samples with real values of
//                                        such fields are "NextExecTime": "2017-07-27T17:22:00"; clients
//                                        parse LastPatchScan with `%Y-%m-%dT%H:%M:%S` (issue 16).
//   fraction  yyyy-MM-ddTHH:mm:ss.fff    rows the server stamps (SQL Server datetime): the real samples
//                                        "CreationDate": "2019-03-25T15:02:24.107", "Created",
//                                        "SessionExpiration"; assets' LastSeenDate is read with a fraction
//                                        and no zone (issue 16). The seed trims trailing zeros (".48");
//                                        Patchline always writes three digits, which readers of the
//                                        trimmed form read too, and a zero fraction is never dropped.
//
// The seed's other samples ("2016-02-02T17:55:17.053Z" for nearly every field) are the generated
// placeholder of its model tool, the same text in unrelated fields, so they decide nothing.

export type DateForm = 'second' | 'fraction';

/** each date-time field of the Kaseya face and its form; a field not listed here is a programming error */
export const DATE_FORMS: Readonly<Record<string, DateForm>> = {
  // agents (Get Agents, Get Agent) and the agent part of patch status
  LastCheckInTime: 'second',
  LastRebootTime: 'second',
  FirstCheckIn: 'second',
  // patch status, missing patches, history
  LastPatchScan: 'second',
  ExecScriptTime: 'second',
  NextRunTime: 'second',
  ScanNextRunTime: 'second',
  ReleaseDate: 'second',
  LastPublishedDate: 'second',
  InstallDate: 'second',
  // installed applications
  LastModifiedDate: 'second',
  // assets
  LastSeenDate: 'fraction',
  DeviceTime: 'fraction',
  ServerTime: 'fraction',
  FoundOn: 'fraction',
  // users, sessions
  CreationDate: 'fraction',
  SessionExpiration: 'fraction',
};

/** a date-time field's value as VSA writes it (null stays null) */
export function vsaDate(field: string, at: Date | string | null | undefined): string | null {
  if (at === null || at === undefined) return null;
  const form = DATE_FORMS[field];
  if (form === undefined)
    throw new Error(`kaseya: no date form for the field '${field}' (add it to DATE_FORMS)`);
  const iso = new Date(at).toISOString(); // yyyy-MM-ddTHH:mm:ss.fffZ
  return form === 'second' ? iso.slice(0, 19) : iso.slice(0, 23);
}
