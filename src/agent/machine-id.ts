// The machine's own identity, sent at check-in so the server can tell a copied agent (an imaged VM, a
// copied state folder: same credential, another machine) from the original. On Linux systemd's
// /etc/machine-id, else D-Bus's copy; the config may name another file (tests, unusual systems).
import { readFile } from 'node:fs/promises';

export const MACHINE_ID_FILES = ['/etc/machine-id', '/var/lib/dbus/machine-id'] as const;

/** the first readable, non-empty id among `files`; undefined when there is none (Windows, macOS: not read yet) */
export async function readMachineId(
  files: readonly string[] = MACHINE_ID_FILES,
): Promise<string | undefined> {
  for (const f of files) {
    try {
      const id = (await readFile(f, 'utf8')).trim();
      if (id && id.length <= 200 && !/\s/.test(id)) return id;
    } catch {
      // not there: try the next one
    }
  }
  return undefined;
}
