// The PostgreSQL server the tests use, and fresh databases and schemas on it.
//
// $CONFIDANT_TEST_DATABASE_URL (a superuser's URL; .ci/run provides one) wins; otherwise a throwaway cluster is
// started here when initdb is installed, so a developer's `npm test` runs the PostgreSQL suite for real. Without
// either the suite FAILS with instructions: a store that was never tested must not look like one that passed.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import pg from 'pg';
import { postgresBinDir, startCluster } from './postgres-cluster';

const run = promisify(execFile);

/** How to run the suite, for the failure message. */
export const HOW_TO_RUN = [
  'The PostgreSQL store tests need a PostgreSQL server, and none was found.',
  'Either install PostgreSQL (Debian: apt-get install postgresql; the tests then start a throwaway cluster themselves),',
  'or point them at a server where they may create and drop databases:',
  '  CONFIDANT_TEST_DATABASE_URL=postgres://USER:PASSWORD@HOST:PORT/postgres npm test',
].join('\n');

/** A server the tests may create databases in. */
export interface TestServer {
  url: string;
  /** Where pg_dump is (undefined: not installed here). */
  binDir: string | undefined;
  stop(): Promise<void>;
}

/** The test server: $CONFIDANT_TEST_DATABASE_URL, or a throwaway cluster; throws HOW_TO_RUN when there is neither. */
export async function testServer(): Promise<TestServer> {
  const given = process.env.CONFIDANT_TEST_DATABASE_URL;
  if (given) return { url: given, binDir: postgresBinDir(), stop: async () => undefined };
  if (!postgresBinDir()) throw new Error(HOW_TO_RUN);
  const cluster = await startCluster({ stopOnExit: true });
  return { url: cluster.url, binDir: cluster.binDir, stop: () => cluster.stop() };
}

/** Run one statement on `url` with a connection of its own. */
export async function execute(url: string, sql: string, params: unknown[] = []): Promise<pg.QueryResult> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await client.query(sql, params);
  } finally {
    await client.end();
  }
}

/** `url` with another database name. */
function withDatabase(url: string, database: string): string {
  const u = new URL(url);
  u.pathname = `/${database}`;
  return u.toString();
}

/** A fresh database on the server (a random name), and how to drop it. */
export async function freshDatabase(serverUrl: string): Promise<{ url: string; drop(): Promise<void> }> {
  const name = `confidant_test_${process.pid}_${Math.random().toString(36).slice(2, 10)}`;
  await execute(serverUrl, `CREATE DATABASE ${name}`);
  return { url: withDatabase(serverUrl, name), drop: async () => void (await execute(serverUrl, `DROP DATABASE IF EXISTS ${name} WITH (FORCE)`)) };
}

/** `url` whose connections put `schema` first on their search_path (what a store on that URL creates and reads). */
export function withSchema(url: string, schema: string): string {
  const u = new URL(url);
  u.searchParams.set('options', `-c search_path=${schema}`);
  return u.toString();
}

let schemas = 0;
/** A fresh, empty schema in the database at `databaseUrl`; returns the URL of a store in it. */
export async function freshSchema(databaseUrl: string): Promise<string> {
  const schema = `s_${process.pid}_${schemas++}`;
  await execute(databaseUrl, `CREATE SCHEMA ${schema}`);
  return withSchema(databaseUrl, schema);
}

/** A plain-text pg_dump of the whole database at `url` (data and schema). */
export async function pgDump(url: string, binDir: string | undefined): Promise<string> {
  if (!binDir) throw new Error(`pg_dump is not installed here (it comes with PostgreSQL).\n${HOW_TO_RUN}`);
  const u = new URL(url);
  u.search = '';
  const { stdout } = await run(`${binDir}/pg_dump`, ['--dbname', u.toString(), '--no-owner'], { maxBuffer: 256 * 1024 * 1024, encoding: 'utf8' });
  return stdout;
}
