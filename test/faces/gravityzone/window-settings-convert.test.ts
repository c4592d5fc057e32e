import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  gzWindowSettingsOf,
  parseGzWindowSettings,
  windowSettingsOfGz,
} from '../../../src/faces/gravityzone/window-settings.ts';
import { daily, validParams } from '../../core/windows/gz-helpers.ts';

// The GravityZone face reads window parameters into the stored settings (canonical schedules) and renders
// them back; what it renders reads back to the same settings.

test('GravityZone settings → stored settings → GravityZone settings → the same stored settings', () => {
  const s = windowSettingsOfGz(validParams().settings);
  assert.equal(s.scan.schedule?.recurrence.kind, 'weekly');
  assert.deepEqual(s.scan.schedule?.window, { start: '21:00', end: '23:59' });
  const rendered = gzWindowSettingsOf(s);
  assert.deepEqual(windowSettingsOfGz(rendered), s);
  assert.equal(parseGzWindowSettings(rendered).scan.scheduleFormat, 'current');
});

test('the fallback system renders oldScheduler objects', () => {
  const p = validParams();
  const scan = p.settings.scanPatchesSettings;
  scan.useFallbackSchedule = 'enabled';
  scan.oldScheduler = daily();
  const types = p.settings.installPatchesSettings.updateType;
  types.securityPatchesSettings.oldScheduler = { recurrence: 1 };
  types.nonSecurityPatchesSettings.oldScheduler = {
    recurrence: 3,
    startHour: 2,
    startMinute: 0,
    days: [6, 0],
  };
  const s = windowSettingsOfGz(p.settings);
  const rendered = gzWindowSettingsOf(s) as { scanPatchesSettings: Record<string, unknown> };
  assert.equal(rendered.scanPatchesSettings.useFallbackSchedule, 'enabled');
  assert.deepEqual(rendered.scanPatchesSettings.oldScheduler, daily());
  assert.deepEqual(windowSettingsOfGz(rendered), s);
});
