// Tokenizer for OData query expressions. Literal forms follow the Kaseya VSA REST API guide:
// strings in single quotes ('' escapes a quote), numbers with an optional type suffix (M marks a
// decimal), `DATETIME'…'` (case-sensitive: the guide says it must be in capital letters), and
// `guid'…'`.
import { DateTime } from 'luxon';
import type { DateTimeLiteral, Literal } from './ast.ts';
import { syntaxError } from './errors.ts';

export type Token =
  | { readonly type: 'lparen' | 'rparen' | 'comma' | 'eof'; readonly text: string; readonly position: number }
  | { readonly type: 'word'; readonly text: string; readonly position: number }
  | { readonly type: 'literal'; readonly text: string; readonly literal: Literal; readonly position: number };

const WORD = /[A-Za-z_][A-Za-z0-9_]*/y;
const NUMBER = /-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?([mMdDfFlL])?/y;
const TRAILING_JUNK = /[A-Za-z0-9_.]+/y;
const DATETIME_TEXT =
  /^(\d{4})-(\d{2})-(\d{2})(?:T(\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,7}))?)?)?(Z|[+-]\d{2}:\d{2})?$/;
const GUID_TEXT = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

const isSpace = (c: string) => c === ' ' || c === '\t' || c === '\n' || c === '\r';
const isDigit = (c: string | undefined) => c !== undefined && c >= '0' && c <= '9';

/** Splits `text` into tokens; `param` (`$filter`, `$orderby`) names the input in error issues. */
export function tokenize(text: string, param: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < text.length) {
    const c = text[i] as string;
    const position = i + 1;
    if (isSpace(c)) {
      i++;
    } else if (c === '(' || c === ')' || c === ',') {
      tokens.push({ type: c === '(' ? 'lparen' : c === ')' ? 'rparen' : 'comma', text: c, position });
      i++;
    } else if (c === "'") {
      const { value, end } = readQuoted(text, i, param);
      tokens.push({
        type: 'literal',
        text: text.slice(i, end),
        literal: { kind: 'string', value, position },
        position,
      });
      i = end;
    } else if (isDigit(c) || (c === '-' && isDigit(text[i + 1]))) {
      const token = readNumber(text, i, param);
      tokens.push(token);
      i += token.text.length;
    } else if (/[A-Za-z_]/.test(c)) {
      WORD.lastIndex = i;
      const word = (WORD.exec(text) as RegExpExecArray)[0];
      if (text[i + word.length] === "'") {
        const { value, end } = readQuoted(text, i + word.length, param);
        const literal = typedLiteral(word, value, position, param);
        tokens.push({ type: 'literal', text: text.slice(i, end), literal, position });
        i = end;
      } else {
        tokens.push({ type: 'word', text: word, position });
        i += word.length;
      }
    } else if (c === '"') {
      throw syntaxError(
        param,
        `unexpected '"' at position ${position}: strings are written in single quotes`,
      );
    } else {
      throw syntaxError(param, `unexpected character '${c}' at position ${position}`);
    }
  }
  tokens.push({ type: 'eof', text: '', position: text.length + 1 });
  return tokens;
}

/** Reads a single-quoted string starting at `start` (the quote); `''` stands for one quote. */
function readQuoted(text: string, start: number, param: string): { value: string; end: number } {
  let value = '';
  let i = start + 1;
  for (;;) {
    const next = text.indexOf("'", i);
    if (next < 0) throw syntaxError(param, `unterminated string starting at position ${start + 1}`);
    value += text.slice(i, next);
    if (text[next + 1] === "'") {
      value += "'";
      i = next + 2;
    } else {
      return { value, end: next + 1 };
    }
  }
}

function readNumber(text: string, start: number, param: string): Token {
  NUMBER.lastIndex = start;
  const match = NUMBER.exec(text) as RegExpExecArray;
  const raw = match[0];
  const position = start + 1;
  TRAILING_JUNK.lastIndex = start + raw.length;
  const junk = TRAILING_JUNK.exec(text);
  if (junk) throw syntaxError(param, `invalid number '${raw}${junk[0]}' at position ${position}`);
  const suffix = match[1];
  const digits = suffix ? raw.slice(0, -1) : raw;
  if ((suffix === 'L' || suffix === 'l') && !/^-?\d+$/.test(digits)) {
    throw syntaxError(
      param,
      `invalid number '${raw}' at position ${position}: a long (L) must be a whole number`,
    );
  }
  const value = Number(digits);
  if (!Number.isFinite(value))
    throw syntaxError(param, `number '${raw}' at position ${position} is out of range`);
  const decimal = suffix === 'M' || suffix === 'm';
  // a number without M is a double: beyond 2^53 it is no longer exact (99999999999999999999 reads as
  // 100000000000000000000), and no column of this server holds one; a long decimal says M
  if (!decimal && Math.abs(value) > Number.MAX_SAFE_INTEGER)
    throw syntaxError(
      param,
      `number '${raw}' at position ${position} is out of range (at most ${Number.MAX_SAFE_INTEGER} in magnitude; write a longer decimal with the M suffix)`,
    );
  return {
    type: 'literal',
    text: raw,
    literal: { kind: 'number', text: digits, value, decimal, position },
    position,
  };
}

function typedLiteral(prefix: string, body: string, position: number, param: string): Literal {
  if (prefix === 'DATETIME') return dateTimeLiteral(body, position, param);
  if (prefix.toLowerCase() === 'datetime') {
    throw syntaxError(
      param,
      `DATETIME is case-sensitive: write it in capital letters (found '${prefix}' at position ${position})`,
    );
  }
  if (prefix.toLowerCase() === 'guid') {
    if (!GUID_TEXT.test(body)) {
      throw syntaxError(
        param,
        `invalid guid '${body}' at position ${position}: expected xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx in hexadecimal`,
      );
    }
    return { kind: 'guid', value: body.toLowerCase(), position };
  }
  throw syntaxError(
    param,
    `unknown literal prefix '${prefix}' at position ${position}: expected DATETIME or guid`,
  );
}

// The guide's own samples were typeset with spaces inside the date (`DATETIME'2019- 06- 17T07:14:20'`);
// whitespace inside the quotes is dropped so that text copied from it works.
function dateTimeLiteral(body: string, position: number, param: string): DateTimeLiteral {
  const text = body.replace(/\s+/g, '');
  const fail = () =>
    syntaxError(
      param,
      `invalid DATETIME '${body}' at position ${position}: expected yyyy-MM-ddTHH:mm:ss, optionally with a fraction of a second and Z or ±hh:mm`,
    );
  const m = DATETIME_TEXT.exec(text);
  if (!m) throw fail();
  const parts = {
    year: Number(m[1]),
    month: Number(m[2]),
    day: Number(m[3]),
    hour: Number(m[4] ?? 0),
    minute: Number(m[5] ?? 0),
    second: Number(m[6] ?? 0),
    millisecond: Number((m[7] ?? '').padEnd(3, '0').slice(0, 3)),
  };
  // year 0 is valid ISO text but no date of the store's calendar (PostgreSQL has no year 0)
  if (parts.year < 1 || !DateTime.fromObject(parts, { zone: 'utc' }).isValid) throw fail();
  let offsetMinutes: number | null = null;
  const zone = m[8];
  if (zone === 'Z') offsetMinutes = 0;
  else if (zone !== undefined) {
    const hours = Number(zone.slice(1, 3));
    const minutes = Number(zone.slice(4, 6));
    if (hours > 23 || minutes > 59) throw fail();
    offsetMinutes = (zone[0] === '-' ? -1 : 1) * (hours * 60 + minutes);
  }
  return { kind: 'datetime', text, ...parts, offsetMinutes, position };
}
