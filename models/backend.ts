// Picks the TensorFlow.js backend once per process: tfjs-node where it installed, else WASM, else plain JS (cpu).
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';

export type BackendName = 'tensorflow' | 'wasm' | 'cpu' | 'webgl';

/** What the backend choice found: the backend in use and why the faster ones were skipped. */
export interface BackendChoice {
  name: BackendName;
  skipped: { name: BackendName; reason: string }[];
}

let chosen: Promise<BackendChoice> | undefined;

async function tryBackend(name: BackendName, load: () => Promise<unknown>): Promise<string | undefined> {
  try {
    await load();
    if (!(await tf.setBackend(name))) return `tf.setBackend('${name}') returned false`;
    await tf.ready();
    return undefined;
  } catch (err) {
    return err instanceof Error ? err.message.split('\n')[0] : String(err);
  }
}

/**
 * Initialise tfjs with the fastest available backend. `prefer` forces one (e.g. 'cpu' in tests of the
 * reference path, or CONFIDANT_TF_BACKEND in the environment); otherwise tfjs-node, then wasm, then cpu.
 */
export function initBackend(prefer?: BackendName): Promise<BackendChoice> {
  chosen ??= (async () => {
    const fromEnv = typeof process !== 'undefined' ? process.env?.CONFIDANT_TF_BACKEND : undefined;
    const wanted = prefer ?? (fromEnv as BackendName | undefined);
    const order: BackendName[] = wanted ? [wanted] : ['tensorflow', 'wasm', 'cpu'];
    const skipped: BackendChoice['skipped'] = [];
    for (const name of order) {
      const reason = await tryBackend(name, () => loadBackend(name));
      if (reason === undefined) return { name, skipped };
      skipped.push({ name, reason });
    }
    throw new Error(`no TensorFlow.js backend could start: ${skipped.map((s) => `${s.name}: ${s.reason}`).join('; ')}`);
  })();
  return chosen;
}

async function loadBackend(name: BackendName): Promise<void> {
  switch (name) {
    case 'tensorflow':
      // Optional dependency: absent when its native download failed at install time.
      await import('@tensorflow/tfjs-node' as string);
      return;
    case 'wasm':
      await import('@tensorflow/tfjs-backend-wasm');
      return;
    case 'webgl':
      await import('@tensorflow/tfjs-backend-webgl' as string);
      return;
    case 'cpu':
      return;
  }
}

/** One line for logs and reports, e.g. "wasm (tensorflow skipped: Cannot find package …)". */
export function describeBackend(choice: BackendChoice): string {
  if (choice.skipped.length === 0) return choice.name;
  return `${choice.name} (skipped ${choice.skipped.map((s) => `${s.name}: ${s.reason}`).join('; ')})`;
}

export { tf };
