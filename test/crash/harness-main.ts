// The teeth test's server: `npm start` (same flags, same run()) on the store CONFIDANT_CRASH_STORE names
// (weak-stores.ts), so the crash checks can be shown to catch a store that breaks its durability promise.
import { ConfigError, parseInvocation } from '../../server/config';
import { run, StartupError } from '../../server/run';
import { storeOpener, storeVariant } from './weak-stores';

try {
  const invocation = parseInvocation(process.argv.slice(2), process.env);
  if (invocation.help) throw new ConfigError('the crash harness takes no --help');
  await run(invocation.config, { openStore: storeOpener(storeVariant(process.env.CONFIDANT_CRASH_STORE)) });
} catch (err) {
  if (!(err instanceof ConfigError || err instanceof StartupError)) throw err;
  process.stderr.write(`confidant (crash harness): ${err.message}\n`);
  process.exit(1);
}
