import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { parseGzWindowParams } from '../../../src/faces/gravityzone/window-settings.ts';
import { issuesOf, validParams } from '../../core/windows/gz-helpers.ts';
import { RULES } from './rules.ts';

// Every validation rule of GravityZone's maintenance window methods (seed 002), each with a request that
// breaks it and the precise error it must get. `seed` quotes the seed's wording; rules marked
// "(Patchline)" are decisions where the seed is silent or inconsistent (see src/core/windows/gravityzone.ts).
//
// | id  | field                                         | seed wording                                                                        |
// | --- | --------------------------------------------- | ----------------------------------------------------------------------------------- |
// | N1  | name                                          | "Mandatory" · "Must be between 1 and 80 characters."                                |
// | N2  | allowChangeByOtherUsers                       | "Mandatory" · "Boolean"                                                             |
// | N3  | settings                                      | "Mandatory"                                                                         |
// | D1  | downloadSettings.cachingServers               | "Array of objects" · "id - String" · "Position in array should be interpreted as priority." |
// | D2  | downloadSettings.fallbackOnDirectDownload     | "Boolean"                                                                           |
// | V1  | specificVendorAndProduct.type                 | "1 - for Include, 2 - for Exclude."                                                 |
// | V2  | vendorProductsPairs[].os                      | "1 - Windows, 2 - Linux, 3 - macOS" · default 1 if the vendor id has only digits, 2 if letters |
// | V3  | vendorProductsPairs[].vendor.id               | "The ID of the vendor. Type: String."                                               |
// | V4  | vendorProductsPairs[].products                | "Include one or more products"                                                      |
// | P1  | postponeReboot.option                         | "0 … 1 … 2"                                                                         |
// | P2  | postponeReboot (option 1)                     | "the afterMinutes, afterCustomMessage, and between attributes must also be included" |
// | P3  | postponeReboot (option 2)                     | "the afterMinutes and afterCustomMessage attributes must also be included"          |
// | P4  | postponeReboot.afterMinutes                   | "Possible values: 10, 30, 45, 60."                                                  |
// | P5  | postponeReboot.afterCustomMessage             | "Any string of maximum 128 characters."                                             |
// | B1  | between.startHour                             | "between 0 and 23"                                                                  |
// | B2  | between.startMinute                           | "between 0 and 59"                                                                  |
// | B3  | between.endHour                               | "between startHour and 23"                                                          |
// | B4  | between.endMinute / endminute                 | "between 0 and 59"                                                                  |
// | B5  | between                                       | "startHour:startMinute must be less than endHour:endMinute"                         |
// | U1  | securityPatchesSettings.scheduler/oldScheduler | "must be included … if the enabled parameter … has the true value … if the useSameScheduler parameter … has the false value" |
// | U2  | nonSecurityPatchesSettings.scheduler/oldScheduler | same as U1 for non-security patches                                             |
// | U3  | manuallyApprovedPatchesSettings.scheduler/oldScheduler | "must be included … if the enabled parameter under the securityPatchesSettings object has the false value" |
// | U4  | class schedulers                              | "This parameter will be ignored if: The useSameScheduler parameter … has the true value." |
// | U5  | manuallyApprovedPatchesSettings schedulers    | "If … securityPatchesSettings … has the true value, the scheduler and oldScheduler settings under manuallyApprovedPatchesSettings will be ignored." |
// | U6  | useFallbackSchedule                           | "enabled - the oldScheduler parameter must be included … disabled - the scheduler parameter must be included" |
// | W1  | installPatchesSettings.enabled = true         | "you need to assign the true value to one of" security / non-security enabled        |
// | W2  | installPatchesSettings.enabled = false        | "make sure none of these parameters have the true value"                            |
// | W3  | installPatchesSettings.enabled = true         | "the enabled parameter under the scanPatchesSettings object must also have the true value" |
// | M1  | manuallyApprovedPatchIds                      | "A list of unique patch IDs." · "The patch IDs must be valid"                       |
// | S1  | scheduler.recurrence                          | install: "1 - immediately, 3 - weekly, 4 - monthly"; scan: "3 - weekly, 4 - monthly" |
// | S2  | scheduler.weeklyRecurrence / monthlyRecurrence | "3 - weekly … must also include the weeklyRecurrence object" · "4 - monthly … monthlyRecurrence" |
// | S3  | scheduler.weeklyRecurrence / monthlyRecurrence | "This parameter is only available if recurrence is set to 3" (4 for monthly)      |
// | S4  | scheduler.startDate                           | "Must be be a value greater than 0." · "epoch time (10 characters, seconds precision)" |
// | S5  | weeklyRecurrence.every                        | "Possible values: 1 - 4."                                                           |
// | S6  | weeklyRecurrence.days                         | "0 (Sunday) - 6 (Saturday)"                                                         |
// | S7  | monthlyRecurrence.every                       | "Possible values: 1 - 12."                                                          |
// | S8  | monthlyRecurrence.frequency                   | "0 … 1 … 2 … 3 … 4 … 5"                                                             |
// | S9  | monthlyRecurrence.frequencyDayNumber          | "If the value of frequency is 0, the monthlyRecurrence object must also include frequencyDayNumber" · "1 - 31" |
// | S10 | monthlyRecurrence.frequencyDayOfWeek          | "If the value of frequency is 1,2, 3,4 or 5, … must also include frequencyDayOfWeek" · "0 (Sunday) - 6 (Saturday)" |
// | O1  | oldScheduler.recurrence                       | install: "1 - immediately, 2 - daily, 3 - weekly"; scan: "2 - for daily, 3 - for weekly" |
// | O2  | oldScheduler.startHour / startMinute          | "0 - 23" · "0 - 59"                                                                 |
// | O3  | oldScheduler.days                             | "0 (Sunday) - 6 (Saturday)" · "Must be included if enabled = true. Ignored if recurrence = 2." |
// | C1  | scanPatchesSettings.scheduler                 | "Must be included if enabled = true and useFallbackSchedule = false."               |
// | C2  | scanPatchesSettings.oldScheduler              | fallback system, required when useFallbackSchedule is enabled                       |
// | C3  | scanPatchesSettings.useFallbackSchedule       | "String" · "enabled" / "disabled" (the example sends true)                          |
// | X*  | (Patchline) decisions where the seed is silent or inconsistent                      |

describe('GravityZone maintenance window: every validation rule gets its precise error', () => {
  test('the valid baseline is accepted (so each case below fails for its own reason)', () => {
    assert.doesNotThrow(() => parseGzWindowParams(validParams(), 'create'));
  });
  for (const rule of RULES) {
    test(`${rule.id}: ${rule.title}`, () => {
      const params = validParams();
      rule.mutate(params);
      const { message, issues } = issuesOf(() => parseGzWindowParams(params, rule.method ?? 'create'));
      assert.deepEqual(
        issues.map((i) => i.path),
        rule.issues.map(([path]) => path),
        `issues were: ${JSON.stringify(issues)}`,
      );
      rule.issues.forEach(([path, pattern], i) => {
        assert.match(issues[i]!.message, pattern);
        assert.ok(
          message.includes(`${path} ${issues[i]!.message}`),
          'the error message names the path and the problem',
        );
      });
    });
  }
});
