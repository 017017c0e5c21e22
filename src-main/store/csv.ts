/**
 * RFC 4180 CSV, the dialect Hugging Face `datasets` (pandas / pyarrow) reads for audiofolder
 * metadata: comma separated, fields quoted with " when they hold a comma, quote, CR or LF, and a
 * quote inside a quoted field doubled. Rows end with CRLF on write; LF or CRLF on read.
 */
import { StoreError } from './errors.ts';

/** Parse CSV text into rows of cells. A leading UTF-8 BOM is ignored; a final empty line too. */
export function parseCsv(text: string, name = 'metadata.csv'): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let cell = '';
  let i = text.charCodeAt(0) === 0xfeff ? 1 : 0;
  let quoted = false;
  let line = 1;
  while (i < text.length) {
    const c = text[i];
    if (quoted) {
      if (c === '"') {
        if (text[i + 1] === '"') {
          cell += '"';
          i += 2;
          continue;
        }
        quoted = false;
        i++;
        const n = text[i];
        if (n !== undefined && n !== ',' && n !== '\n' && n !== '\r') {
          throw new StoreError('IMPORT_METADATA_INVALID', `${name}, line ${line}: text follows a closing quote; quote the whole cell and double any " inside it.`);
        }
        continue;
      }
      if (c === '\n') line++;
      cell += c;
      i++;
      continue;
    }
    if (c === '"' && cell === '') {
      quoted = true;
      i++;
    } else if (c === ',') {
      row.push(cell);
      cell = '';
      i++;
    } else if (c === '\r' || c === '\n') {
      row.push(cell);
      rows.push(row);
      row = [];
      cell = '';
      i += c === '\r' && text[i + 1] === '\n' ? 2 : 1;
      line++;
    } else {
      cell += c;
      i++;
    }
  }
  if (quoted) throw new StoreError('IMPORT_METADATA_INVALID', `${name}: a quoted cell starting before line ${line} is never closed.`);
  if (cell !== '' || row.length > 0) {
    row.push(cell);
    rows.push(row);
  }
  return rows;
}

/** One CSV record (with CRLF), quoting only the cells that need it. */
export function formatCsvRow(cells: string[]): string {
  return cells.map((c) => (/[",\r\n]/.test(c) ? `"${c.replace(/"/g, '""')}"` : c)).join(',') + '\r\n';
}

/**
 * Cells a spreadsheet would run as a formula when the CSV is opened in Excel / LibreOffice /
 * Sheets (CSV injection, OWASP): those starting with = + - @ tab or CR.
 */
export function looksLikeFormula(cell: string): boolean {
  return /^[=+\-@\t\r]/.test(cell);
}

/** OWASP's neutralisation: a leading apostrophe makes spreadsheets show the cell as text. */
export function neutraliseFormula(cell: string): string {
  return looksLikeFormula(cell) ? `'${cell}` : cell;
}
