import type { Migration, MigrationProvider } from 'kysely';
import * as m0001 from './0001_initial.ts';
import * as m0003 from './0003_catalog.ts';
import * as m0005 from './0005_compliance.ts';
import * as m0006 from './0006_kaseya.ts';
import * as m0008 from './0008_custom_severity_compliance.ts';
import * as m0009 from './0009_agent_settings.ts';
import * as m0010 from './0010_window_schedule.ts';
import * as m0011 from './0011_auth_hardening.ts';
import * as m0012 from './0012_catalog_tenancy.ts';
import * as m0013 from './0013_scripts.ts';
import * as m0014 from './0014_window_sharing.ts';
import * as m0015 from './0015_audits.ts';
import * as m0016 from './0016_procedures.ts';
import * as m0017 from './0017_change_feed.ts';
import * as m0019 from './0019_rollouts.ts';
import * as m0020 from './0020_alerts.ts';
import * as m0021 from './0021_task_credentials.ts';
import * as m0023 from './0023_rollout_targets.ts';
import * as m0024 from './0024_ingest_costs.ts';
import * as m0025 from './0025_supersedence_lookup.ts';
import * as m0026 from './0026_devices_fillfactor.ts';

// Migrations in order; a new one is a new file added here, never an edit of a landed one.
const migrations: Record<string, Migration> = {
  '0001_initial': m0001,
  '0003_catalog': m0003,
  '0005_compliance': m0005,
  '0006_kaseya': m0006,
  '0008_custom_severity_compliance': m0008,
  '0009_agent_settings': m0009,
  '0010_window_schedule': m0010,
  '0011_auth_hardening': m0011,
  '0012_catalog_tenancy': m0012,
  '0013_scripts': m0013,
  '0014_window_sharing': m0014,
  '0015_audits': m0015,
  '0016_procedures': m0016,
  '0017_change_feed': m0017,
  '0019_rollouts': m0019,
  '0020_alerts': m0020,
  '0021_task_credentials': m0021,
  '0023_rollout_targets': m0023,
  '0024_ingest_costs': m0024,
  '0025_supersedence_lookup': m0025,
  '0026_devices_fillfactor': m0026,
};

export const migrationProvider: MigrationProvider = { getMigrations: async () => migrations };
export const migrationNames = Object.keys(migrations);
