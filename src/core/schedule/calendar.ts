// Proleptic Gregorian calendar arithmetic on day numbers (days since 1970-01-01), free of any time
// zone: the occurrence engine works on wall-clock fields and asks zones.ts only for offsets.

export const MINUTE_MS = 60_000;
export const DAY_MINUTES = 1440;
export const DAY_MS = 86_400_000;

/** Day number of a civil date (month 1..12), after H. Hinnant's days_from_civil. */
export function daysFromCivil(y: number, m: number, d: number): number {
  const yy = m <= 2 ? y - 1 : y;
  const era = Math.floor(yy / 400);
  const yoe = yy - era * 400;
  const doy = Math.floor((153 * (m + (m > 2 ? -3 : 9)) + 2) / 5) + d - 1;
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
  return era * 146097 + doe - 719468;
}

/** Civil date of a day number; written into `out` to keep the hot path free of allocations. */
export interface Civil {
  y: number;
  m: number;
  d: number;
}
export function civilFromDays(z: number, out: Civil = { y: 0, m: 0, d: 0 }): Civil {
  const zz = z + 719468;
  const era = Math.floor(zz / 146097);
  const doe = zz - era * 146097;
  const yoe = Math.floor(
    (doe - Math.floor(doe / 1460) + Math.floor(doe / 36524) - Math.floor(doe / 146096)) / 365,
  );
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100));
  const mp = Math.floor((5 * doy + 2) / 153);
  out.d = doy - Math.floor((153 * mp + 2) / 5) + 1;
  out.m = mp < 10 ? mp + 3 : mp - 9;
  out.y = yoe + era * 400 + (out.m <= 2 ? 1 : 0);
  return out;
}

/** 0 = Sunday … 6 = Saturday (1970-01-01 was a Thursday). */
export function weekdayOfDay(z: number): number {
  return (((z + 4) % 7) + 7) % 7;
}

export function isLeapYear(y: number): boolean {
  return (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0;
}

const MONTH_DAYS = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];
export function daysInMonth(y: number, m: number): number {
  return m === 2 && isLeapYear(y) ? 29 : (MONTH_DAYS[m - 1] as number);
}

const pad = (n: number, w = 2) => String(n).padStart(w, '0');

/** 'YYYY-MM-DD' of a day number. */
export function formatDay(z: number): string {
  const c = civilFromDays(z);
  return `${pad(c.y, 4)}-${pad(c.m)}-${pad(c.d)}`;
}

/** 'HH:mm' of minutes since midnight. */
export function formatMinutes(tod: number): string {
  return `${pad(Math.floor(tod / 60))}:${pad(tod % 60)}`;
}

/** 'YYYY-MM-DDTHH:mm' of local minutes since 1970-01-01T00:00. */
export function formatLocalMinutes(local: number): string {
  const day = Math.floor(local / DAY_MINUTES);
  return `${formatDay(day)}T${formatMinutes(local - day * DAY_MINUTES)}`;
}
