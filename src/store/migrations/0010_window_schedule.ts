import type { Kysely } from 'kysely';
import {
  downgradeWindowSettings,
  isEarlierWindowForm,
  upgradeWindowSettings,
} from '../../core/windows/gz-form.ts';
import type { MaintenanceWindowSettings } from '../../core/windows/model.ts';

// Maintenance windows store canonical schedules (core/schedule/model.ts) instead of the product schedule
// objects they were written with (`{format, value}` and a window-wide `scheduleFormat`). Each row is
// converted by the core's conversion; nothing else in the settings changes, and the native API renders
// the earlier form back from the canonical one (core/windows/gz-form.ts says what reads back normalized:
// a weekly/monthly start date's time of day, the order of days). Rows already converted are left alone,
// so running it again changes nothing. `updated_at` is kept: the window means what it meant.

interface Tables {
  maintenance_windows: { id: number; settings: unknown };
}

async function rewrite(db: Kysely<unknown>, convert: (settings: unknown) => unknown | null): Promise<void> {
  const k = db as unknown as Kysely<Tables>;
  const rows = await k.selectFrom('maintenance_windows').select(['id', 'settings']).orderBy('id').execute();
  for (const r of rows) {
    const next = convert(r.settings);
    if (next === null) continue;
    await k.updateTable('maintenance_windows').set({ settings: next }).where('id', '=', r.id).execute();
  }
}

export async function up(db: Kysely<unknown>): Promise<void> {
  await rewrite(db, upgradeWindowSettings);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await rewrite(db, (s) =>
    isEarlierWindowForm(s) ? null : downgradeWindowSettings(s as MaintenanceWindowSettings),
  );
}
