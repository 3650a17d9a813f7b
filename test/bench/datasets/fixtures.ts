// Test helper: tiny dataset files written to a fresh temporary directory.
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

/** A temporary directory plus a way to fill it and remove it. */
export interface Scratch {
  dir: string;
  /** Write files (relative paths, subfolders created); strings are UTF-8, Buffers are written as is. Returns dir/sub. */
  write(files: Record<string, string | Buffer>, sub?: string): Promise<string>;
  cleanup(): Promise<void>;
}

/** Create a scratch directory under the OS temp dir. */
export async function scratch(): Promise<Scratch> {
  const dir = await mkdtemp(join(tmpdir(), 'confidant-datasets-'));
  let n = 0;
  return {
    dir,
    async write(files, sub = `case${n++}`) {
      const base = join(dir, sub);
      await mkdir(base, { recursive: true });
      for (const [name, content] of Object.entries(files)) {
        await mkdir(dirname(join(base, name)), { recursive: true });
        await writeFile(join(base, name), content);
      }
      return base;
    },
    cleanup: () => rm(dir, { recursive: true, force: true }),
  };
}

/** Lines joined with '\n' and a trailing newline, as dataset files usually end. */
export function lines(...rows: string[]): string {
  return rows.map((r) => `${r}\n`).join('');
}
