// `npm run keys -- rotate [--data-dir DIR]`: retire the active receipt-signing key and make a new one. Retired keys
// stay published (GET /v1/keys), so receipts signed before still verify. Safe while the server runs (SQLite WAL).
import { join } from 'node:path';
import { Command } from 'commander';
import _sodium from 'libsodium-wrappers';
import { generateSigningKeyPair } from '../../shared/secagg/sign';
import { DEFAULT_DATA_DIR } from '../config';
import { SqliteStore } from '../store/sqlite-store';

/** The command line. */
export function keysProgram(): Command {
  const program = new Command('keys').description("the server's receipt-signing keys").exitOverride();
  program
    .command('rotate')
    .description('retire the active receipt key and make a new one')
    .option('--data-dir <dir>', 'the data directory (default: the project .data/ or CONFIDANT_DATA_DIR)')
    .action(async (opts: { dataDir?: string }) => {
      await _sodium.ready;
      const store = SqliteStore.open(join(opts.dataDir ?? process.env.CONFIDANT_DATA_DIR ?? DEFAULT_DATA_DIR, 'confidant.sqlite'));
      try {
        const fresh = await store.rotateReceiptKey(() => generateSigningKeyPair(_sodium), Date.now());
        const all = await store.listReceiptKeys();
        process.stdout.write(`new receipt key ${fresh.id}; ${all.length - 1} retired key(s) stay published\n`);
      } finally {
        await store.close();
      }
    });
  return program;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  try {
    await keysProgram().parseAsync(process.argv);
  } catch (err) {
    const code = (err as { exitCode?: number }).exitCode;
    if (typeof code === 'number') process.exit(code);
    process.stderr.write(`keys: ${(err as Error).message}\n`);
    process.exit(1);
  }
}
