// The validation rules of GravityZone's maintenance window methods (seed 002), each with a request that
// breaks it and the issues it must get: read by the parser's test (gravityzone-rules.test.ts) and, through
// the JSON-RPC face, by jsonrpc-windows.test.ts.
import {
  I,
  MAN,
  NON,
  PR,
  S,
  SCAN,
  SEC,
  U,
  VP,
  daily,
  weekly,
  type Loose,
} from '../../core/windows/gz-helpers.ts';

export interface Rule {
  readonly id: string;
  readonly title: string;
  readonly mutate: (p: Loose) => void;
  /** every expected issue: [path, message pattern]; no other issue may be reported */
  readonly issues: readonly (readonly [string, RegExp])[];
  readonly method?: 'create' | 'update';
}

const sched = (p: Loose) => p.settings.installPatchesSettings.updateType;
const scan = (p: Loose) => p.settings.scanPatchesSettings;
const install = (p: Loose) => p.settings.installPatchesSettings;
const secSched = (p: Loose) => sched(p).securityPatchesSettings.scheduler;
const nonSched = (p: Loose) => sched(p).nonSecurityPatchesSettings.scheduler;
const useFallback = (p: Loose) => {
  scan(p).useFallbackSchedule = 'enabled';
  scan(p).oldScheduler = daily();
  sched(p).securityPatchesSettings.oldScheduler = daily();
  sched(p).nonSecurityPatchesSettings.oldScheduler = {
    recurrence: 3,
    startHour: 2,
    startMinute: 0,
    days: [6],
  };
};

export const RULES: readonly Rule[] = [
  // ---- params ----
  {
    id: 'N1',
    title: 'name is mandatory on create',
    mutate: (p) => delete p.name,
    issues: [['name', /^is required$/]],
  },
  {
    id: 'N1',
    title: 'name of 0 characters',
    mutate: (p) => (p.name = ''),
    issues: [['name', /^must be between 1 and 80 characters, got 0$/]],
  },
  {
    id: 'N1',
    title: 'name of 81 characters',
    mutate: (p) => (p.name = 'w'.repeat(81)),
    issues: [['name', /^must be between 1 and 80 characters, got 81$/]],
  },
  {
    id: 'N1',
    title: 'name that is not a string',
    mutate: (p) => (p.name = 42),
    issues: [['name', /^must be a string, got 42$/]],
  },
  {
    id: 'X1',
    title: '(Patchline) a blank name',
    mutate: (p) => (p.name = '   '),
    issues: [['name', /^must not be empty or only spaces$/]],
  },
  {
    id: 'N2',
    title: 'allowChangeByOtherUsers is mandatory on create',
    mutate: (p) => delete p.allowChangeByOtherUsers,
    issues: [['allowChangeByOtherUsers', /^is required$/]],
  },
  {
    id: 'N2',
    title: 'allowChangeByOtherUsers must be a boolean',
    mutate: (p) => (p.allowChangeByOtherUsers = 'yes'),
    issues: [['allowChangeByOtherUsers', /^must be true or false, got the string "yes"$/]],
  },
  {
    id: 'N3',
    title: 'settings are mandatory on create',
    mutate: (p) => delete p.settings,
    issues: [['settings', /^is required$/]],
  },
  {
    id: 'X2',
    title: '(Patchline) settings: an array of two objects',
    mutate: (p) => (p.settings = [p.settings, p.settings]),
    issues: [['settings', /^must be an object \(or an array holding exactly one object\), got an array$/]],
  },
  {
    id: 'X3',
    title: '(Patchline) update with nothing to change',
    method: 'update',
    mutate: (p) => {
      delete p.name;
      delete p.settings;
      delete p.allowChangeByOtherUsers;
    },
    issues: [['params', /^must change something: give name, allowChangeByOtherUsers or settings$/]],
  },
  {
    id: 'X4',
    title: '(Patchline) scanPatchesSettings and installPatchesSettings are required',
    mutate: (p) => {
      delete p.settings.scanPatchesSettings;
      delete p.settings.installPatchesSettings;
    },
    issues: [
      [SCAN, /^is required$/],
      [I, /^is required$/],
    ],
  },
  // ---- download settings ----
  {
    id: 'D1',
    title: 'a caching server that is not an object',
    mutate: (p) => (p.settings.downloadSettings.cachingServers = ['cache-a']),
    issues: [
      [`${S}.downloadSettings.cachingServers[0]`, /^must be an object \{id\}, got the string "cache-a"$/],
    ],
  },
  {
    id: 'D1',
    title: 'a caching server without id',
    mutate: (p) => (p.settings.downloadSettings.cachingServers = [{ id: 'a' }, {}]),
    issues: [[`${S}.downloadSettings.cachingServers[1].id`, /^is required$/]],
  },
  {
    id: 'D1',
    title: '(Patchline) a caching server listed twice has two priorities',
    mutate: (p) => (p.settings.downloadSettings.cachingServers = [{ id: 'a' }, { id: 'b' }, { id: 'a' }]),
    issues: [
      [
        `${S}.downloadSettings.cachingServers[2]`,
        /^repeats caching server "a", which can have one priority only \(already at index 0\)$/,
      ],
    ],
  },
  {
    id: 'D2',
    title: 'fallbackOnDirectDownload must be a boolean',
    mutate: (p) => (p.settings.downloadSettings.fallbackOnDirectDownload = 1),
    issues: [[`${S}.downloadSettings.fallbackOnDirectDownload`, /^must be true or false, got 1$/]],
  },
  // ---- vendors and products ----
  {
    id: 'V1',
    title: 'type 3',
    mutate: (p) => (install(p).specificVendorAndProduct.type = 3),
    issues: [[`${VP}.type`, /^must be one of 1, 2, got 3$/]],
  },
  {
    id: 'V1',
    title: '(Patchline) type is required when the selection is enabled',
    mutate: (p) => delete install(p).specificVendorAndProduct.type,
    issues: [[`${VP}.type`, /^is required$/]],
  },
  {
    id: 'V2',
    title: 'os 4',
    mutate: (p) => (install(p).specificVendorAndProduct.vendorProductsPairs[0].os = 4),
    issues: [[`${VP}.vendorProductsPairs[0].os`, /^must be one of 1, 2, 3, got 4$/]],
  },
  {
    id: 'V3',
    title: 'a pair without vendor id',
    mutate: (p) => (install(p).specificVendorAndProduct.vendorProductsPairs[1].vendor = {}),
    issues: [[`${VP}.vendorProductsPairs[1].vendor.id`, /^is required$/]],
  },
  {
    id: 'V4',
    title: 'a pair with no products',
    mutate: (p) => (install(p).specificVendorAndProduct.vendorProductsPairs[2].products = []),
    issues: [[`${VP}.vendorProductsPairs[2].products`, /^must include one or more products$/]],
  },
  // ---- reboot postponement ----
  {
    id: 'P1',
    title: 'option 3',
    mutate: (p) => (install(p).postponeReboot.option = 3),
    issues: [[`${PR}.option`, /^must be one of 0, 1, 2, got 3$/]],
  },
  {
    id: 'P2',
    title: 'option 1 without afterMinutes, afterCustomMessage and between',
    mutate: (p) => (install(p).postponeReboot = { option: 1 }),
    issues: [
      [`${PR}.afterMinutes`, /^is required when option is 1 \(postpone only within an interval\)$/],
      [`${PR}.afterCustomMessage`, /^is required when option is 1/],
      [`${PR}.between`, /^is required when option is 1/],
    ],
  },
  {
    id: 'P3',
    title: 'option 2 without afterMinutes and afterCustomMessage (between is not needed)',
    mutate: (p) => (install(p).postponeReboot = { option: 2 }),
    issues: [
      [`${PR}.afterMinutes`, /^is required when option is 2 \(restart automatically after some minutes\)$/],
      [`${PR}.afterCustomMessage`, /^is required when option is 2/],
    ],
  },
  {
    id: 'P4',
    title: 'afterMinutes 15',
    mutate: (p) => (install(p).postponeReboot.afterMinutes = 15),
    issues: [[`${PR}.afterMinutes`, /^must be one of 10, 30, 45, 60, got 15$/]],
  },
  {
    id: 'P5',
    title: 'a reboot message of 129 characters',
    mutate: (p) => (install(p).postponeReboot.afterCustomMessage = 'é'.repeat(129)),
    issues: [[`${PR}.afterCustomMessage`, /^must be at most 128 characters, got 129$/]],
  },
  // ---- between (reboot interval and schedules) ----
  {
    id: 'B1',
    title: 'startHour 24',
    mutate: (p) => (install(p).postponeReboot.between.startHour = 24),
    issues: [[`${PR}.between.startHour`, /^must be between 0 and 23, got 24$/]],
  },
  {
    id: 'B1',
    title: 'startHour -1 in a schedule',
    mutate: (p) => (secSched(p).between.startHour = -1),
    issues: [[`${SEC}.scheduler.between.startHour`, /^must be between 0 and 23, got -1$/]],
  },
  {
    id: 'B2',
    title: 'startMinute 60',
    mutate: (p) => (secSched(p).between.startMinute = 60),
    issues: [[`${SEC}.scheduler.between.startMinute`, /^must be between 0 and 59, got 60$/]],
  },
  {
    id: 'B3',
    title: 'endHour before startHour',
    mutate: (p) => (secSched(p).between.endHour = 20),
    issues: [[`${SEC}.scheduler.between.endHour`, /^must be between startHour \(21\) and 23, got 20$/]],
  },
  {
    id: 'B4',
    title: 'endMinute 60',
    mutate: (p) => (nonSched(p).between.endMinute = 60),
    issues: [[`${NON}.scheduler.between.endMinute`, /^must be between 0 and 59, got 60$/]],
  },
  {
    id: 'B4',
    title: 'endminute (the table spelling) 61',
    mutate: (p) => {
      delete nonSched(p).between.endMinute;
      nonSched(p).between.endminute = 61;
    },
    issues: [[`${NON}.scheduler.between.endminute`, /^must be between 0 and 59, got 61$/]],
  },
  {
    id: 'B4',
    title: '(Patchline) endMinute and endminute disagree',
    mutate: (p) => (nonSched(p).between.endminute = 30),
    issues: [
      [`${NON}.scheduler.between.endminute`, /^conflicts with endMinute \(59 vs 30\); send one of them$/],
    ],
  },
  {
    id: 'B5',
    title: 'start equal to end',
    mutate: (p) => (secSched(p).between = { startHour: 22, startMinute: 15, endHour: 22, endMinute: 15 }),
    issues: [
      [
        `${SEC}.scheduler.between`,
        /^startHour:startMinute \(22:15\) must be less than endHour:endMinute \(22:15\)$/,
      ],
    ],
  },
  {
    id: 'B5',
    title: 'start after end within the same hour (reboot interval)',
    mutate: (p) =>
      (install(p).postponeReboot.between = { startHour: 4, startMinute: 50, endHour: 4, endMinute: 10 }),
    issues: [
      [`${PR}.between`, /^startHour:startMinute \(04:50\) must be less than endHour:endMinute \(04:10\)$/],
    ],
  },
  // ---- which class needs which schedule ----
  {
    id: 'U1',
    title: 'security enabled without scheduler',
    mutate: (p) => delete sched(p).securityPatchesSettings.scheduler,
    issues: [
      [
        `${SEC}.scheduler`,
        /^is required when securityPatchesSettings.enabled is true and scanPatchesSettings.useSameSchedule is false and scanPatchesSettings.useFallbackSchedule is disabled$/,
      ],
    ],
  },
  {
    id: 'U2',
    title: 'non-security enabled without scheduler',
    mutate: (p) => delete sched(p).nonSecurityPatchesSettings.scheduler,
    issues: [
      [
        `${NON}.scheduler`,
        /^is required when nonSecurityPatchesSettings.enabled is true and scanPatchesSettings.useSameSchedule is false/,
      ],
    ],
  },
  {
    id: 'U3',
    title: 'manually approved enabled, security disabled, no scheduler',
    mutate: (p) => (sched(p).securityPatchesSettings = { enabled: false }),
    issues: [
      [
        `${MAN}.scheduler`,
        /^is required when manuallyApprovedPatchesSettings.enabled is true, securityPatchesSettings.enabled is false and scanPatchesSettings.useSameSchedule is false and scanPatchesSettings.useFallbackSchedule is disabled$/,
      ],
    ],
  },
  {
    id: 'U3',
    title: 'manually approved, security disabled, fallback enabled: oldScheduler required',
    mutate: (p) => {
      useFallback(p);
      sched(p).securityPatchesSettings = { enabled: false };
      sched(p).manuallyApprovedPatchesSettings.scheduler = weekly();
    },
    issues: [
      [
        `${MAN}.oldScheduler`,
        /^is required when manuallyApprovedPatchesSettings.enabled is true, .*useFallbackSchedule is enabled$/,
      ],
    ],
  },
  {
    id: 'U6',
    title: 'useFallbackSchedule enabled: the classes need oldScheduler',
    mutate: (p) => {
      useFallback(p);
      delete sched(p).securityPatchesSettings.oldScheduler;
      delete sched(p).nonSecurityPatchesSettings.oldScheduler;
    },
    issues: [
      [
        `${SEC}.oldScheduler`,
        /^is required when securityPatchesSettings.enabled is true .*useFallbackSchedule is enabled$/,
      ],
      [
        `${NON}.oldScheduler`,
        /^is required when nonSecurityPatchesSettings.enabled is true .*useFallbackSchedule is enabled$/,
      ],
    ],
  },
  // ---- install / class / scan switches ----
  {
    id: 'W1',
    title: 'install enabled with neither security nor non-security enabled',
    mutate: (p) => {
      sched(p).securityPatchesSettings = { enabled: false };
      sched(p).nonSecurityPatchesSettings = { enabled: false };
      sched(p).manuallyApprovedPatchesSettings = { enabled: false };
    },
    issues: [
      [
        U,
        /^must enable securityPatchesSettings or nonSecurityPatchesSettings when installPatchesSettings.enabled is true$/,
      ],
    ],
  },
  {
    id: 'W1',
    title: 'install enabled with no updateType at all',
    mutate: (p) => delete install(p).updateType,
    issues: [[U, /^must enable securityPatchesSettings or nonSecurityPatchesSettings/]],
  },
  {
    id: 'W2',
    title: 'install disabled with security and non-security enabled',
    mutate: (p) => (install(p).enabled = false),
    issues: [
      [`${SEC}.enabled`, /^must be false when installPatchesSettings.enabled is false$/],
      [`${NON}.enabled`, /^must be false when installPatchesSettings.enabled is false$/],
    ],
  },
  {
    id: 'W3',
    title: 'install enabled while scans are disabled',
    mutate: (p) => (scan(p).enabled = false),
    issues: [[`${SCAN}.enabled`, /^must be true when installPatchesSettings.enabled is true$/]],
  },
  {
    id: 'X5',
    title: "(Patchline) a class's enabled switch is required",
    mutate: (p) => delete sched(p).nonSecurityPatchesSettings.enabled,
    issues: [[`${NON}.enabled`, /^is required$/]],
  },
  // ---- manually approved patch ids ----
  {
    id: 'M1',
    title: 'a patch id that is not a GUID',
    mutate: (p) => install(p).manuallyApprovedPatchIds.push('KB5034441'),
    issues: [
      [
        `${I}.manuallyApprovedPatchIds[2]`,
        /^must be a patch id \(a GUID such as \{0001354A-0000-0000-0000-000000000000\}\), got the string "KB5034441"$/,
      ],
    ],
  },
  {
    id: 'M1',
    title: 'the same patch id twice (braces and case do not make it another id)',
    mutate: (p) => install(p).manuallyApprovedPatchIds.push('0001354a-0000-0000-0000-000000000000'),
    issues: [
      [
        `${I}.manuallyApprovedPatchIds[2]`,
        /^repeats patch id \{0001354A-0000-0000-0000-000000000000\} \(already at index 0\)$/,
      ],
    ],
  },
  {
    id: 'X6',
    title: '(Patchline) patch ids under installPatchesSettings and updateType at once',
    mutate: (p) => (sched(p).manuallyApprovedPatchIds = []),
    issues: [[`${U}.manuallyApprovedPatchIds`, /^is also given under installPatchesSettings; send it once/]],
  },
  // ---- scheduler ----
  {
    id: 'S1',
    title: 'install scheduler with recurrence 2',
    mutate: (p) => (secSched(p).recurrence = 2),
    issues: [
      [
        `${SEC}.scheduler.recurrence`,
        /^must be one of 1 \(immediately\), 3 \(weekly\), 4 \(monthly\) for a install schedule, got 2$/,
      ],
    ],
  },
  {
    id: 'S1',
    title: 'scan scheduler with recurrence 1 (immediately is not a scan schedule)',
    mutate: (p) => (scan(p).scheduler = { recurrence: 1 }),
    issues: [
      [
        `${SCAN}.scheduler.recurrence`,
        /^must be one of 3 \(weekly\), 4 \(monthly\) for a scan schedule, got 1$/,
      ],
    ],
  },
  {
    id: 'S1',
    title: 'scheduler without recurrence',
    mutate: (p) => delete secSched(p).recurrence,
    issues: [[`${SEC}.scheduler.recurrence`, /^is required$/]],
  },
  {
    id: 'S2',
    title: 'weekly without weeklyRecurrence',
    mutate: (p) => delete secSched(p).weeklyRecurrence,
    issues: [[`${SEC}.scheduler.weeklyRecurrence`, /^is required when recurrence is 3 \(weekly\)$/]],
  },
  {
    id: 'S2',
    title: 'monthly without monthlyRecurrence',
    mutate: (p) => delete nonSched(p).monthlyRecurrence,
    issues: [[`${NON}.scheduler.monthlyRecurrence`, /^is required when recurrence is 4 \(monthly\)$/]],
  },
  {
    id: 'S3',
    title: 'weeklyRecurrence on a monthly schedule',
    mutate: (p) => (nonSched(p).weeklyRecurrence = { every: 1, days: [1] }),
    issues: [
      [
        `${NON}.scheduler.weeklyRecurrence`,
        /^is only available when recurrence is 3 \(weekly\), not 4 \(monthly\)$/,
      ],
    ],
  },
  {
    id: 'S3',
    title: 'monthlyRecurrence on a weekly schedule',
    mutate: (p) => (secSched(p).monthlyRecurrence = { every: 1, frequency: 0, frequencyDayNumber: 1 }),
    issues: [
      [
        `${SEC}.scheduler.monthlyRecurrence`,
        /^is only available when recurrence is 4 \(monthly\), not 3 \(weekly\)$/,
      ],
    ],
  },
  {
    id: 'S4',
    title: 'startDate 0',
    mutate: (p) => (secSched(p).startDate = 0),
    issues: [[`${SEC}.scheduler.startDate`, /^must be greater than 0, got 0$/]],
  },
  {
    id: 'S4',
    title: 'startDate in milliseconds (13 digits)',
    mutate: (p) => (secSched(p).startDate = 1637258826000),
    issues: [
      [`${SEC}.scheduler.startDate`, /^must be an epoch time in seconds \(10 digits\), got 1637258826000$/],
    ],
  },
  {
    id: 'S4',
    title: 'startDate as a string',
    mutate: (p) => (secSched(p).startDate = '1637258826'),
    issues: [
      [
        `${SEC}.scheduler.startDate`,
        /^must be an integer epoch time in seconds, got the string "1637258826"$/,
      ],
    ],
  },
  {
    id: 'X7',
    title: '(Patchline) a weekly schedule needs startDate and between',
    mutate: (p) => {
      delete secSched(p).startDate;
      delete secSched(p).between;
    },
    issues: [
      [`${SEC}.scheduler.startDate`, /^is required when recurrence is 3 \(weekly\)$/],
      [`${SEC}.scheduler.between`, /^is required when recurrence is 3 \(weekly\)$/],
    ],
  },
  {
    id: 'S5',
    title: 'weekly every 5',
    mutate: (p) => (secSched(p).weeklyRecurrence.every = 5),
    issues: [[`${SEC}.scheduler.weeklyRecurrence.every`, /^must be between 1 and 4, got 5$/]],
  },
  {
    id: 'S5',
    title: 'weekly every 0',
    mutate: (p) => (secSched(p).weeklyRecurrence.every = 0),
    issues: [[`${SEC}.scheduler.weeklyRecurrence.every`, /^must be between 1 and 4, got 0$/]],
  },
  {
    id: 'S6',
    title: 'weekly day 7',
    mutate: (p) => (secSched(p).weeklyRecurrence.days = [1, 7]),
    issues: [
      [
        `${SEC}.scheduler.weeklyRecurrence.days[1]`,
        /^must be between 0 \(Sunday\) and 6 \(Saturday\), got 7$/,
      ],
    ],
  },
  {
    id: 'X8',
    title: '(Patchline) weekly days empty',
    mutate: (p) => (secSched(p).weeklyRecurrence.days = []),
    issues: [
      [
        `${SEC}.scheduler.weeklyRecurrence.days`,
        /^must list at least one day \(0 = Sunday … 6 = Saturday\) for a weekly schedule$/,
      ],
    ],
  },
  {
    id: 'X8',
    title: '(Patchline) weekly day listed twice',
    mutate: (p) => (secSched(p).weeklyRecurrence.days = [2, 4, 2]),
    issues: [[`${SEC}.scheduler.weeklyRecurrence.days[2]`, /^repeats day 2 \(already at index 0\)$/]],
  },
  {
    id: 'S7',
    title: 'monthly every 13',
    mutate: (p) => (nonSched(p).monthlyRecurrence.every = 13),
    issues: [[`${NON}.scheduler.monthlyRecurrence.every`, /^must be between 1 and 12, got 13$/]],
  },
  {
    id: 'S8',
    title: 'monthly frequency 6',
    mutate: (p) => (nonSched(p).monthlyRecurrence.frequency = 6),
    issues: [
      [
        `${NON}.scheduler.monthlyRecurrence.frequency`,
        /^must be between 0 \(a day of the month\) and 5 \(the last weekday\), got 6$/,
      ],
    ],
  },
  {
    id: 'S9',
    title: 'frequency 0 without frequencyDayNumber',
    mutate: (p) => (nonSched(p).monthlyRecurrence = { every: 1, frequency: 0, frequencyDayOfWeek: 2 }),
    issues: [
      [
        `${NON}.scheduler.monthlyRecurrence.frequencyDayNumber`,
        /^is required when frequency is 0 \(a specific day of the month\)$/,
      ],
    ],
  },
  {
    id: 'S9',
    title: 'frequencyDayNumber 32',
    mutate: (p) => (nonSched(p).monthlyRecurrence = { every: 1, frequency: 0, frequencyDayNumber: 32 }),
    issues: [[`${NON}.scheduler.monthlyRecurrence.frequencyDayNumber`, /^must be between 1 and 31, got 32$/]],
  },
  {
    id: 'S10',
    title: 'frequency 5 without frequencyDayOfWeek',
    mutate: (p) => (nonSched(p).monthlyRecurrence = { every: 1, frequency: 5 }),
    issues: [
      [
        `${NON}.scheduler.monthlyRecurrence.frequencyDayOfWeek`,
        /^is required when frequency is 5 \(the last weekday of the month\)$/,
      ],
    ],
  },
  {
    id: 'S10',
    title: 'frequencyDayOfWeek 7',
    mutate: (p) => (nonSched(p).monthlyRecurrence.frequencyDayOfWeek = 7),
    issues: [
      [
        `${NON}.scheduler.monthlyRecurrence.frequencyDayOfWeek`,
        /^must be between 0 \(Sunday\) and 6 \(Saturday\), got 7$/,
      ],
    ],
  },
  // ---- oldScheduler ----
  {
    id: 'O1',
    title: 'install oldScheduler with recurrence 4',
    mutate: (p) => {
      useFallback(p);
      sched(p).securityPatchesSettings.oldScheduler = { recurrence: 4 };
    },
    issues: [
      [
        `${SEC}.oldScheduler.recurrence`,
        /^must be one of 1 \(immediately\), 2 \(daily\), 3 \(weekly\) for a install fallback schedule, got 4$/,
      ],
    ],
  },
  {
    id: 'O1',
    title: 'scan oldScheduler with recurrence 1',
    mutate: (p) => {
      useFallback(p);
      scan(p).oldScheduler = { recurrence: 1 };
    },
    issues: [
      [
        `${SCAN}.oldScheduler.recurrence`,
        /^must be one of 2 \(daily\), 3 \(weekly\) for a scan fallback schedule, got 1$/,
      ],
    ],
  },
  {
    id: 'O2',
    title: 'oldScheduler startHour 24 and startMinute 60',
    mutate: (p) => {
      useFallback(p);
      scan(p).oldScheduler = { recurrence: 2, startHour: 24, startMinute: 60 };
    },
    issues: [
      [`${SCAN}.oldScheduler.startHour`, /^must be between 0 and 23, got 24$/],
      [`${SCAN}.oldScheduler.startMinute`, /^must be between 0 and 59, got 60$/],
    ],
  },
  {
    id: 'O2',
    title: '(Patchline) daily oldScheduler without a time',
    mutate: (p) => {
      useFallback(p);
      scan(p).oldScheduler = { recurrence: 2 };
    },
    issues: [
      [`${SCAN}.oldScheduler.startHour`, /^is required when recurrence is 2 \(daily\)$/],
      [`${SCAN}.oldScheduler.startMinute`, /^is required when recurrence is 2 \(daily\)$/],
    ],
  },
  {
    id: 'O3',
    title: 'weekly oldScheduler without days',
    mutate: (p) => {
      useFallback(p);
      delete sched(p).nonSecurityPatchesSettings.oldScheduler.days;
    },
    issues: [[`${NON}.oldScheduler.days`, /^is required when recurrence is 3 \(weekly\)$/]],
  },
  {
    id: 'O3',
    title: 'oldScheduler day -1',
    mutate: (p) => {
      useFallback(p);
      sched(p).nonSecurityPatchesSettings.oldScheduler.days = [-1];
    },
    issues: [[`${NON}.oldScheduler.days[0]`, /^must be between 0 \(Sunday\) and 6 \(Saturday\), got -1$/]],
  },
  // ---- scan settings ----
  {
    id: 'C1',
    title: 'scan enabled without scheduler (useFallbackSchedule disabled)',
    mutate: (p) => delete scan(p).scheduler,
    issues: [
      [
        `${SCAN}.scheduler`,
        /^is required when scanPatchesSettings.enabled is true and scanPatchesSettings.useFallbackSchedule is disabled$/,
      ],
    ],
  },
  {
    id: 'C2',
    title: 'scan enabled without oldScheduler (useFallbackSchedule enabled)',
    mutate: (p) => {
      useFallback(p);
      delete scan(p).oldScheduler;
    },
    issues: [
      [
        `${SCAN}.oldScheduler`,
        /^is required when scanPatchesSettings.enabled is true and scanPatchesSettings.useFallbackSchedule is enabled$/,
      ],
    ],
  },
  {
    id: 'C3',
    title: 'useFallbackSchedule "yes"',
    mutate: (p) => (scan(p).useFallbackSchedule = 'yes'),
    issues: [
      [
        `${SCAN}.useFallbackSchedule`,
        /^must be "enabled" or "disabled" \(or true \/ false\), got the string "yes"$/,
      ],
    ],
  },
  {
    id: 'X9',
    title: '(Patchline) useSameSchedule and useSameScheduler disagree',
    mutate: (p) => (scan(p).useSameScheduler = true),
    issues: [
      [`${SCAN}.useSameScheduler`, /^conflicts with useSameSchedule \(false vs true\); send one of them$/],
    ],
  },
];
