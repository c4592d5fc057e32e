// Both drivers parse values the same way, so the same code and tests run on both.
// int8 → number (ids and counts stay far below 2^53), numeric → string (exact), date → 'YYYY-MM-DD'.
export const INT8 = 20;
export const DATE = 1082;
export const TYPE_PARSERS: Record<number, (value: string) => unknown> = {
  [INT8]: (v) => Number(v),
  [DATE]: (v) => v,
};
