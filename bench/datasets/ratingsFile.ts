// The shared line parser behind every ratings loader: column checks, header handling, numbers, dense ids.
import { itemId, pushRow, userId, type Columns, type IdSpace } from './columns';
import { DatasetError, show } from './errors';
import { forEachLine } from './textFile';

/** How one ratings file is laid out. */
export interface RatingsLayout {
  /** Column names used in messages (user, item, value, timestamp); a detected header replaces them. */
  names: readonly string[];
  /** Fields of one line, or undefined when a quoted field is left open. */
  split: (line: string) => string[] | undefined;
  /** Acceptable column counts; the first data line fixes the count for the rest of the file. */
  columnCounts: readonly number[];
  /** 'optional': the first line is a header when its value column is not a number. */
  header: 'none' | 'optional';
  /** When set, a header must read exactly this (the format is then known, e.g. MovieLens' "userId,movieId,rating,timestamp"). */
  exactHeader?: string;
}

/** Number(), except that blank text is not silently 0. */
function numberOf(text: string): number {
  const x = Number(text);
  return x === 0 && text.trim() === '' ? Number.NaN : x;
}

function columnsExpected(counts: readonly number[], names: readonly string[]): string {
  if (counts.length === 1) return `${counts[0]} columns (${names.slice(0, counts[0]).join(',')})`;
  const min = Math.min(...counts);
  const max = Math.max(...counts);
  return `${counts.join(' or ')} columns (${names.slice(0, min).join(',')}[,${names.slice(min, max).join(',')}])`;
}

function checkNumber(file: string, lineNo: number, name: string, text: string): number {
  const x = numberOf(text);
  if (Number.isNaN(x)) throw new DatasetError(file, lineNo, `a numeric ${name}`, show(text));
  if (!Number.isFinite(x)) throw new DatasetError(file, lineNo, `a finite ${name}`, show(text));
  return x;
}

/** Stream a ratings file into `cols`, assigning dense ids in `space`; stops with a DatasetError on the first bad line. */
export async function readRatings(file: string, layout: RatingsLayout, space: IdSpace, cols: Columns): Promise<void> {
  let names = layout.names;
  let counts = layout.columnCounts;
  let columns: number | undefined;
  let headerLine: string | undefined;
  const start = cols.length;
  await forEachLine(file, (line, lineNo) => {
    if (line.trim() === '') return;
    const f = layout.split(line);
    if (f === undefined) throw new DatasetError(file, lineNo, 'a closing quote', 'an unterminated quoted field');
    if (columns === undefined) {
      if (!counts.includes(f.length)) throw new DatasetError(file, lineNo, columnsExpected(counts, names), String(f.length));
      columns = f.length;
      counts = [columns];
      if (layout.header === 'optional' && Number.isNaN(numberOf(f[2]!))) {
        headerLine = line;
        if (layout.exactHeader !== undefined && line.trim() !== layout.exactHeader) {
          throw new DatasetError(file, lineNo, `the header ${layout.exactHeader}`, show(line));
        }
        names = f.map((s) => s.trim());
        return;
      }
    } else if (line === headerLine) {
      throw new DatasetError(file, lineNo, 'a data row', 'a repeated header line (were two files concatenated?)');
    }
    if (f.length !== columns) throw new DatasetError(file, lineNo, columnsExpected(counts, names), String(f.length));
    const u = f[0]!;
    const i = f[1]!;
    if (u === '') throw new DatasetError(file, lineNo, `a ${names[0]}`, 'an empty field');
    if (i === '') throw new DatasetError(file, lineNo, `a ${names[1]}`, 'an empty field');
    const value = checkNumber(file, lineNo, names[2]!, f[2]!);
    const timestamp = columns > 3 ? checkNumber(file, lineNo, names[3]!, f[3]!) : 0;
    pushRow(cols, userId(space, u), itemId(space, i), value, timestamp);
  });
  if (cols.length === start) {
    throw new DatasetError(file, undefined, 'at least one interaction', headerLine === undefined ? 'no interactions' : 'a header line and no interactions');
  }
}
