// The device's record of spent (model, purpose) pairs: durable before record() resolves, read back on the next start,
// torn tails ignored; the same contract for the Node file, the browser's IndexedDB and the in-memory record.
import 'fake-indexeddb/auto';
import { describe, expect, it } from 'vitest';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileSpentModels } from '../../../client/rounds/spent-models-file';
import { memorySpentModels, type SpentModels } from '../../../client/rounds/spent-models';
import { openIdbSpentModels } from '../../../client/store/idb-spent-models';

const model = (k: number) => Uint8Array.from({ length: 32 }, (_, i) => (i * 7 + k) & 0xff);
let dbs = 0;

describe.each<[string, () => Promise<{ open: () => Promise<SpentModels> }>]>([
  ['memory', async () => {
    const one = memorySpentModels();
    return { open: async () => one };
  }],
  ['file', async () => {
    const file = path.join(await mkdtemp(path.join(tmpdir(), 'confidant-spent-')), 'spent.txt');
    return { open: () => fileSpentModels(file) };
  }],
  ['IndexedDB', async () => {
    const name = `spent-test-${++dbs}`;
    return { open: () => openIdbSpentModels(name) };
  }],
])('spent models (%s)', (_name, make) => {
  it('knows a pair once recorded, per purpose, and nothing else', async () => {
    const { open } = await make();
    const spent = await open();
    expect(await spent.has({ modelHash: model(1), purpose: 'training' })).toBe(false);
    await spent.record({ modelHash: model(1), purpose: 'training' });
    expect(await spent.has({ modelHash: model(1), purpose: 'training' })).toBe(true);
    expect(await spent.has({ modelHash: model(1), purpose: 'evaluation' })).toBe(false);
    expect(await spent.has({ modelHash: model(2), purpose: 'training' })).toBe(false);
    await spent.record({ modelHash: model(1), purpose: 'training' }); // recording twice is harmless
    expect(await spent.has({ modelHash: model(1), purpose: 'training' })).toBe(true);
  });

  it('remembers across a restart (opened again from the same place)', async () => {
    const { open } = await make();
    const first = await open();
    await Promise.all([1, 2, 3].map((k) => first.record({ modelHash: model(k), purpose: k === 2 ? 'evaluation' : 'training' })));
    const again = await open();
    expect(await again.has({ modelHash: model(1), purpose: 'training' })).toBe(true);
    expect(await again.has({ modelHash: model(2), purpose: 'evaluation' })).toBe(true);
    expect(await again.has({ modelHash: model(3), purpose: 'training' })).toBe(true);
    expect(await again.has({ modelHash: model(4), purpose: 'training' })).toBe(false);
  });
});

describe('the file record after a crash mid-append', () => {
  it('ignores the torn last line and starts the next record on a line of its own', async () => {
    const file = path.join(await mkdtemp(path.join(tmpdir(), 'confidant-spent-')), 'spent.txt');
    const first = await fileSpentModels(file);
    await first.record({ modelHash: model(1), purpose: 'training' });
    const whole = await readFile(file, 'utf8');
    await writeFile(file, `${whole}training ${'ab'.repeat(20)}`); // a record cut short: never acknowledged
    const after = await fileSpentModels(file);
    expect(await after.has({ modelHash: model(1), purpose: 'training' })).toBe(true);
    await after.record({ modelHash: model(9), purpose: 'training' });
    const reopened = await fileSpentModels(file);
    expect(await reopened.has({ modelHash: model(9), purpose: 'training' })).toBe(true);
    expect((await readFile(file, 'utf8')).split('\n').filter((l) => l.startsWith('training ') && l.length === 73)).toHaveLength(2);
  });
});
