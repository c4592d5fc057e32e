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
// placeholder of its model tool, the same text in unrelated fields, so they decide nothing; so are the
// "2017-08-01T15:52:15.151Z" of the warranty dates and alarms (the generation time, beside "string" and
// 0 in every other field of the same samples). A field the seed has no real sample of takes the form
// of its kind above: what an agent reports or a schedule says is 'second', a row the server writes is
// 'fraction' (each entry below says which it is).
//
// Every date-time value of every Kaseya response goes through vsaDate (a field missing here throws);
// test/faces/kaseya/dates.test.ts walks the seed's GET routes with data present and checks that every
// date-like value is a field of this table, in its form.

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
  // the audit chapter: the agent's summary (as the agent's LastCheckInTime, LastRebootTime, FirstCheckIn)
  RebootTime: 'second',
  LastCheckinTime: 'second',
  FirstCheckinTime: 'second',
  LastCheckin: 'second',
  LastReboot: 'second',
  FirstCheckin: 'second',
  AgentTime: 'second',
  //   when the agent collected its latest, baseline and system-information audits
  LastAudit: 'second',
  NextAudit: 'second',
  BaselineAudit: 'second',
  SysInfoAudit: 'second',
  //   the server's clock at the answer, as assets' ServerTime
  KServerTime: 'fraction',
  //   what the agent reports of its software and BIOS (BiosReleaseDate is a date: midnight UTC)
  InstallationDate: 'second',
  BiosReleaseDate: 'second',
  //   dates a user enters (PUT …/purchaseandwarrantyexpire): kept as given, to the second
  PurchaseDate: 'second',
  WarrantyExpireDate: 'second',
  // agent procedures: the scheduled list's NextExecTime is a schedule time (the seed's real samples are
  // to the second); the history's LastExecutionTime and the procedure log's LastExecution are when the
  // agent ran it, as the agent reports times
  NextExecTime: 'second',
  //   a schedule's Start.StartOn and Recurrence.EndOn (the request model's, shown back in the scheduled
  //   list's Attributes.Schedule): dates of a schedule, midnight of their day
  StartOn: 'second',
  EndOn: 'second',
  LastExecutionTime: 'second',
  LastExecution: 'second',
  // alarms and logs: rows the server writes (an alarm raised, an event logged)
  EventTime: 'fraction',
  Time: 'fraction',
};

/** whether a field of the face is a date-time (renders through vsaDate whatever its filter type) */
export const isDateField = (field: string): boolean => Object.hasOwn(DATE_FORMS, field);

/** a date-time field's value as VSA writes it (null stays null) */
export function vsaDate(field: string, at: Date | string | null | undefined): string | null {
  if (at === null || at === undefined) return null;
  const form = DATE_FORMS[field];
  if (form === undefined)
    throw new Error(`kaseya: no date form for the field '${field}' (add it to DATE_FORMS)`);
  const t = new Date(at);
  if (Number.isNaN(t.getTime())) return null; // text an agent reported that is no instant
  const iso = t.toISOString(); // yyyy-MM-ddTHH:mm:ss.fffZ
  return form === 'second' ? iso.slice(0, 19) : iso.slice(0, 23);
}
