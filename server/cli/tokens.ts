// `npm run tokens -- issue N [--out FILE] | list | revoke (TOKEN... | --file FILE | --batch ID | --all-unused)`: the
// single-use enrollment tokens of `--enrollment token`. A token is shown once, on stdout or in --out (created 0600,
// never overwritten); the store keeps only its SHA-256. Safe while the server runs (SQLite WAL, or PostgreSQL).
import { closeSync, fsyncSync, mkdirSync, openSync, readFileSync, unlinkSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { Command } from 'commander';
import { DEFAULT_DATA_DIR } from '../config';
import { enrollmentTokenHash, newBatchId, newEnrollmentToken } from '../enrollment/tokens';
import { openPostgresStore } from '../store/postgres-store';
import { SqliteStore } from '../store/sqlite-store';
import type { Store } from '../store/store';
import { MAX_TOKENS_PER_CALL } from '../store/validate';

/** Where the store is: the server's own flags and variables. */
interface StoreOptions {
  dataDir?: string;
  database?: string;
}

/** A mistake on the command line, told in one line. */
class UsageError extends Error {
  override name = 'UsageError';
}

/** Where the program writes, and the environment it reads (tests pass their own). */
export interface TokensIo {
  stdout(text: string): void;
  stderr(text: string): void;
  env: Readonly<Record<string, string | undefined>>;
}

/** Open the server's store. The SQLite store skips its sweep of orphan keys: a running server may be mid-registration. */
async function openStore(o: StoreOptions, env: TokensIo['env']): Promise<Store> {
  const dataDir = resolve(o.dataDir ?? (env.CONFIDANT_DATA_DIR || DEFAULT_DATA_DIR));
  mkdirSync(dataDir, { recursive: true, mode: 0o700 }); // as the server makes it: it will hold the device registry
  const database = o.database ?? (env.CONFIDANT_DATABASE_URL || undefined);
  return database ? openPostgresStore(database, dataDir) : SqliteStore.open(join(dataDir, 'confidant.sqlite'), { sweepKeys: false });
}

async function withStore<T>(o: StoreOptions, env: TokensIo['env'], fn: (store: Store) => Promise<T>): Promise<T> {
  const store = await openStore(o, env);
  try {
    return await fn(store);
  } finally {
    await store.close();
  }
}

/** N as the operator typed it: an integer in 1..MAX_TOKENS_PER_CALL. */
function readCount(raw: string): number {
  if (!/^[0-9]+$/.test(raw) || Number(raw) < 1 || Number(raw) > MAX_TOKENS_PER_CALL) throw new UsageError(`N must be an integer in 1..${MAX_TOKENS_PER_CALL}, got "${raw}"`);
  return Number(raw);
}

/** The hashes of tokens given on the command line or in a file (one per line; blank lines and # comments skipped). */
function hashesOf(tokens: readonly string[], file: string | undefined): Uint8Array[] {
  const named = tokens.map((t, n) => ({ text: t, where: `argument ${n + 1}` }));
  if (file !== undefined) {
    readFileSync(file, 'utf8')
      .split('\n')
      .forEach((line, n) => {
        const text = line.trim();
        if (text !== '' && !text.startsWith('#')) named.push({ text, where: `${file} line ${n + 1}` });
      });
  }
  return named.map(({ text, where }) => {
    const hash = enrollmentTokenHash(text);
    if (!hash) throw new UsageError(`${where} is not an enrollment token (cet1. then 43 base64url characters)`);
    return hash;
  });
}

/** Issue `count` tokens: the file (if any) is created before the store is touched, written after, removed on failure. */
async function issue(count: number, o: StoreOptions & { out?: string }, io: TokensIo): Promise<void> {
  const tokens = Array.from({ length: count }, () => newEnrollmentToken());
  const batchId = newBatchId();
  // 'wx': never overwrite (an older file of tokens may still be the only copy of them); 0600: these are secrets.
  let fd: number | undefined;
  try {
    fd = o.out === undefined ? undefined : openSync(o.out, 'wx', 0o600);
  } catch (err) {
    if ((err as { code?: string }).code === 'EEXIST') throw new UsageError(`--out ${o.out} already exists: tokens are never written over a file (it may hold the only copy of earlier ones)`);
    throw err;
  }
  try {
    await withStore(o, io.env, (store) => store.issueEnrollmentTokens({ batchId, issuedAt: Date.now(), hashes: tokens.map((t) => enrollmentTokenHash(t)!) }));
  } catch (err) {
    if (fd !== undefined) {
      closeSync(fd);
      unlinkSync(o.out!);
    }
    throw err;
  }
  const text = `${tokens.join('\n')}\n`;
  if (fd === undefined) io.stdout(text);
  else {
    writeFileSync(fd, text);
    fsyncSync(fd);
    closeSync(fd);
  }
  io.stderr(`issued ${count} enrollment token(s) in batch ${batchId}${o.out === undefined ? '' : ` to ${o.out}`}; they are shown only now: the server keeps their SHA-256, not the tokens\n`);
}

/** The table `list` prints: one row per batch and a total (counts only, no secrets). */
export function formatBatches(batches: readonly { batchId: string; issuedAt: number; issued: number; used: number; revoked: number }[]): string {
  const rows = batches.map((b) => [b.batchId, new Date(b.issuedAt).toISOString(), b.issued, b.used, b.revoked, b.issued - b.used - b.revoked]);
  const sum = (k: number) => rows.reduce((n, r) => n + (r[k] as number), 0);
  const all = [['batch', 'issued at', 'issued', 'used', 'revoked', 'unused'], ...rows, ['total', '', sum(2), sum(3), sum(4), sum(5)]];
  const widths = all[0]!.map((_, k) => Math.max(...all.map((r) => String(r[k]).length)));
  return all.map((r) => r.map((c, k) => (k < 2 ? String(c).padEnd(widths[k]!) : String(c).padStart(widths[k]!))).join('  ').trimEnd()).join('\n') + '\n';
}

const processIo: TokensIo = { stdout: (s) => process.stdout.write(s), stderr: (s) => process.stderr.write(s), env: process.env };

/** The command line. */
export function tokensProgram(io: TokensIo = processIo): Command {
  const program = new Command('tokens').description('single-use enrollment tokens for --enrollment token').exitOverride();
  const storeOptions = (c: Command) =>
    c
      .option('--data-dir <dir>', 'the data directory (default: the project .data/ or CONFIDANT_DATA_DIR)')
      .option('--database <url>', 'the PostgreSQL store, as the server was started with (default: CONFIDANT_DATABASE_URL; none: SQLite in the data directory)');
  storeOptions(program.command('issue <N>').description('issue N tokens, printed once (or written to --out)'))
    .option('--out <file>', 'write the tokens to FILE (created with mode 0600; an existing file is never overwritten)')
    .action(async (n: string, o: StoreOptions & { out?: string }) => issue(readCount(n), o, io));
  storeOptions(program.command('list').description('count issued, used, revoked and unused tokens per batch (no secrets)')).action(async (o: StoreOptions) => {
    io.stdout(formatBatches(await withStore(o, io.env, (store) => store.listEnrollmentBatches())));
  });
  storeOptions(program.command('revoke [tokens...]').description('revoke unused tokens: these, those in --file, a --batch, or --all-unused'))
    .option('--file <file>', 'tokens to revoke, one per line')
    .option('--batch <id>', 'revoke the unused tokens of this batch')
    .option('--all-unused', 'revoke every unused token')
    .action(async (tokens: string[], o: StoreOptions & { file?: string; batch?: string; allUnused?: boolean }) => {
      const chosen = [tokens.length > 0 || o.file !== undefined, o.batch !== undefined, o.allUnused === true].filter(Boolean).length;
      if (chosen !== 1) throw new UsageError('revoke takes exactly one of: tokens (as arguments or --file), --batch ID, --all-unused');
      if (o.batch !== undefined && !/^[0-9a-f]{16}$/.test(o.batch)) throw new UsageError(`--batch must be a batch id (16 hex characters, as tokens list shows), got "${o.batch}"`);
      const which = o.batch !== undefined ? { batchId: o.batch } : o.allUnused ? { allUnused: true as const } : { hashes: hashesOf(tokens, o.file) };
      const revoked = await withStore(o, io.env, (store) => store.revokeEnrollmentTokens(which));
      // Used and unknown tokens are not counted: a used one's device stays registered (delete the device for that).
      io.stdout(`revoked ${revoked} unused token(s)\n`);
    });
  return program;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  try {
    await tokensProgram().parseAsync(process.argv);
  } catch (err) {
    const code = (err as { exitCode?: number }).exitCode;
    if (typeof code === 'number') process.exit(code);
    process.stderr.write(`tokens: ${(err as Error).message}\n`);
    process.exit(1);
  }
}
