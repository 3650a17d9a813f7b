// The trainer's TensorFlow.js backend in the browser: WebGL where the GPU is real, else WebAssembly (its files
// located through Vite's ?url imports, which are served from this origin). Headless and software renderers
// (SwiftShader, llvmpipe) report WebGL but are slower than WebAssembly, so they count as no GPU.
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import wasmUrl from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm?url';
import wasmSimdUrl from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-simd.wasm?url';
import wasmThreadedUrl from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-threaded-simd.wasm?url';
import { initBackend, tf } from '../../models/backend';

const SOFTWARE = /swiftshader|llvmpipe|software|basic render/i;

/** The renderer of a WebGL2 context in this worker, or undefined when there is none. */
function renderer(): string | undefined {
  try {
    const gl = new OffscreenCanvas(1, 1).getContext('webgl2');
    if (!gl) return undefined;
    const info = gl.getExtension('WEBGL_debug_renderer_info');
    return String(gl.getParameter(info ? info.UNMASKED_RENDERER_WEBGL : gl.RENDERER));
  } catch {
    return undefined;
  }
}

/** Pick and start the backend; returns its name. */
export async function startBackend(): Promise<string> {
  const gpu = renderer();
  if (gpu && !SOFTWARE.test(gpu)) {
    try {
      await import('@tensorflow/tfjs-backend-webgl');
      if (await tf.setBackend('webgl')) {
        await tf.ready();
        return `webgl (${gpu})`;
      }
    } catch {
      // fall through to WebAssembly
    }
  }
  setWasmPaths({ 'tfjs-backend-wasm.wasm': wasmUrl, 'tfjs-backend-wasm-simd.wasm': wasmSimdUrl, 'tfjs-backend-wasm-threaded-simd.wasm': wasmThreadedUrl });
  const choice = await initBackend('wasm');
  return choice.name;
}
