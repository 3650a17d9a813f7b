// `npm run receipt -- verify FILE [--server URL | --key HEX]`: check a deletion receipt offline and say what it
// proves. The key comes from the server's published list (GET /v1/keys, retired keys included) or is given in hex;
// with --server the receipt is also looked for in the server's public chain (GET /v1/deletions/log).
import { readFile } from 'node:fs/promises';
import { Command, InvalidArgumentError } from 'commander';
import _sodium from 'libsodium-wrappers';
import { checkReceipt, deletionLogSchema, receiptHash, type Receipt } from '../../shared/protocol/deletion';
import { keysResponseSchema } from '../../shared/protocol/http';
import { keyFingerprint, keyId } from '../../shared/protocol/key-id';
import { fromBase64Url } from '../../shared/protocol/encoding';
import { verify } from '../../shared/secagg/sign';

/** Why verification could not go ahead or failed: printed as one line, exit code 1. */
class RefusedError extends Error {}

function hexKey(value: string): Uint8Array {
  if (!/^[0-9a-fA-F]{64}$/.test(value)) throw new InvalidArgumentError('expected 64 hex characters (a 32-byte Ed25519 public key).');
  return Uint8Array.from(value.match(/../g)!.map((h) => parseInt(h, 16)));
}

/** The receipt in a file: a receipt, or a deletion answer that carries one. */
async function readReceipt(file: string): Promise<unknown> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    throw new RefusedError(`cannot read ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    throw new RefusedError(`${file} is not JSON`);
  }
  return raw !== null && typeof raw === 'object' && 'receipt' in raw ? (raw as { receipt: unknown }).receipt : raw;
}

/** What a verified receipt proves, in words. */
export function describeReceipt(r: Receipt, key: Uint8Array): string {
  const when = (t: number) => new Date(t).toISOString();
  const eps = r.epsilon === null ? 'no differential-privacy bound (ε unbounded)' : `ε = ${r.epsilon} at δ = ${r.delta}`;
  return [
    `verified: signed by receipt key ${keyId(key)} (fingerprint ${keyFingerprint(key)}).`,
    `The server recorded the deletion of the device key whose SHA-256 is ${r.deviceKeyHash},`,
    `asked at ${when(r.requestedAt)} (request nonce ${r.nonce}) and completed at ${when(r.completedAt)}:`,
    `- shard ${r.shard} was rolled back to its checkpoint at step ${r.checkpoint.step} (lineage ${r.checkpoint.lineage}), whose training model has SHA-256 ${r.checkpoint.sha256};`,
    `- the first served model free of the device is version ${r.servedVersion.version}, SHA-256 ${r.servedVersion.sha256};`,
    `- the shard's privacy spent so far (never refunded by a rollback): ${eps}.`,
    `It is entry ${r.index} of the server's receipt chain; the entry before it has hash ${r.previousHash}.`,
    `Its own hash (what the next receipt names): ${receiptHash(r)}.`,
  ].join('\n');
}

async function verifyCommand(file: string, opts: { server?: string; key?: Uint8Array }): Promise<string> {
  if ((opts.server === undefined) === (opts.key === undefined)) throw new RefusedError('give exactly one of --server URL and --key HEX');
  const raw = await readReceipt(file);
  const claimedId = (raw as { keyId?: unknown } | null)?.keyId;
  let key = opts.key;
  if (opts.server) {
    const base = opts.server.replace(/\/+$/, '');
    let response: Response;
    try {
      response = await fetch(`${base}/v1/keys`);
    } catch (err) {
      throw new RefusedError(`cannot reach ${base}: ${(err as Error).message}`);
    }
    if (!response.ok) throw new RefusedError(`${base}/v1/keys answered HTTP ${response.status}`);
    const published = keysResponseSchema.parse(await response.json()).keys.find((k) => k.id === claimedId && k.use.includes('receipts'));
    if (!published) throw new RefusedError(`refused: keyId: ${base} publishes no receipt key ${String(claimedId).slice(0, 16)}`);
    key = fromBase64Url(published.publicKey);
  }
  await _sodium.ready;
  const checked = checkReceipt(raw, key!, (pk, m, s) => verify(_sodium, pk, m, s));
  if (!checked.ok) throw new RefusedError(`refused: ${checked.problem.field}: ${checked.problem.message}`);
  const lines = [describeReceipt(checked.receipt, key!)];
  if (opts.server) {
    const log = deletionLogSchema.parse(await (await fetch(`${opts.server.replace(/\/+$/, '')}/v1/deletions/log`)).json());
    const entry = log.entries.find((e) => e.index === checked.receipt.index);
    if (!entry || entry.hash !== receiptHash(checked.receipt)) throw new RefusedError(`refused: index: the server's public chain has no entry ${checked.receipt.index} with this receipt's hash`);
    lines.push(`The server's public chain (GET /v1/deletions/log) holds it at entry ${entry.index}.`);
  }
  return lines.join('\n');
}

/** The command line. */
export function receiptProgram(): Command {
  const program = new Command('receipt').description('deletion receipts: check one offline and say what it proves').exitOverride();
  program
    .command('verify')
    .argument('<file>', 'a receipt (or a deletion answer holding one) as JSON')
    .option('--server <url>', "take the key from the server's published keys, and find the receipt in its public chain")
    .option('--key <hex>', 'the receipt key, as 64 hex characters', hexKey)
    .action(async (file: string, opts: { server?: string; key?: Uint8Array }) => {
      process.stdout.write(`${await verifyCommand(file, opts)}\n`);
    });
  return program;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  try {
    await receiptProgram().parseAsync(process.argv);
  } catch (err) {
    if (err instanceof RefusedError) {
      process.stderr.write(`receipt: ${err.message}\n`);
      process.exit(1);
    }
    const code = (err as { exitCode?: number }).exitCode;
    if (typeof code === 'number') process.exit(code);
    throw err;
  }
}
