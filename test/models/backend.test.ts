// The backend choice: falls back past tfjs-node when it is absent and says which backend it picked.
import { describe, expect, it } from 'vitest';
import { describeBackend, initBackend, tf } from '../../models/backend';

describe('initBackend', () => {
  it('picks a working backend and reports it, with the reason for any skipped one', async () => {
    const choice = await initBackend();
    expect(['tensorflow', 'wasm', 'cpu']).toContain(choice.name);
    expect(tf.getBackend()).toBe(choice.name);
    for (const s of choice.skipped) expect(s.reason.length).toBeGreaterThan(0);
    expect(describeBackend(choice)).toContain(choice.name);
    // The same promise is returned to every caller: one backend per process.
    expect(await initBackend()).toBe(choice);
    const product = tf.tidy(() => tf.matMul(tf.tensor2d([1, 2, 3, 4], [2, 2]), tf.tensor2d([1, 0, 0, 1], [2, 2])).dataSync());
    expect(Array.from(product)).toEqual([1, 2, 3, 4]);
  });
});
