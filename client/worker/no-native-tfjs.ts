// In the browser bundle, @tensorflow/tfjs-node (a Node add-on that models/backend.ts tries first in Node) resolves
// here: loading it fails, and the backend choice moves on as it does in Node when the add-on is missing.
throw new Error('@tensorflow/tfjs-node is a Node add-on; the browser uses WebGL or WebAssembly');
