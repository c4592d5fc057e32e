// A small RFC 4180 reader: KEV's CSV quotes fields holding commas and quotes, EPSS's does not.

export interface CsvRow {
  /** 1-based line number where the row starts */
  readonly line: number;
  readonly fields: string[];
}

/** Rows of CSV text, lazily; quoted fields may hold commas, doubled quotes and line breaks. */
export function* csvRows(text: string): Generator<CsvRow> {
  let i = 0;
  let line = 1;
  const n = text.length;
  while (i < n) {
    const start = line;
    const fields: string[] = [];
    let field = '';
    for (;;) {
      if (text[i] === '"') {
        i++;
        for (;;) {
          if (i >= n) break;
          const c = text[i] as string;
          if (c === '"') {
            if (text[i + 1] === '"') {
              field += '"';
              i += 2;
              continue;
            }
            i++;
            break;
          }
          if (c === '\n') line++;
          field += c;
          i++;
        }
      }
      // unquoted remainder up to the next separator
      while (i < n && text[i] !== ',' && text[i] !== '\n' && text[i] !== '\r') field += text[i++];
      fields.push(field);
      field = '';
      if (i >= n) break;
      if (text[i] === ',') {
        i++;
        continue;
      }
      if (text[i] === '\r') i++;
      if (text[i] === '\n') i++;
      line++;
      break;
    }
    if (!(fields.length === 1 && fields[0] === '')) yield { line: start, fields };
  }
}
