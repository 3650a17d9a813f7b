// A Node device's record of spent (model, purpose) pairs: one line per pair, appended and fsynced before record()
// resolves, so a crash after the masked upload cannot make the device forget it contributed. The file is opened per
// record (a device records at most once per round), so a fleet of devices holds no descriptors open.
import { open, readFile } from 'node:fs/promises';
import { spentKeyText, type SpentModels } from './spent-models';

const LINE = /^(training|evaluation) [0-9a-f]{64}$/;

/** Open the record at `path` (missing: empty). A torn last line (a crash mid-append) was never acknowledged: ignored. */
export async function fileSpentModels(path: string): Promise<SpentModels> {
  let text = '';
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  const spent = new Set(text.split('\n').filter((l) => LINE.test(l)));
  // A torn tail must not glue itself to the next record: the first append starts on a fresh line.
  let fresh = text === '' || text.endsWith('\n');
  let queue: Promise<void> = Promise.resolve();
  return {
    has: async (key) => spent.has(spentKeyText(key)),
    record(key) {
      const line = spentKeyText(key);
      // Appends are serialised: two records never interleave, and each resolves after its own fsync.
      const done = queue.then(async () => {
        if (spent.has(line)) return;
        const file = await open(path, 'a');
        try {
          await file.appendFile(`${fresh ? '' : '\n'}${line}\n`);
          await file.sync();
        } finally {
          await file.close();
        }
        fresh = true;
        spent.add(line);
      });
      queue = done.catch(() => {}); // a failed append fails its own record() only
      return done;
    },
  };
}
