// The in-memory Store against the conformance suite.
import { MemoryStore } from '../../../server/store/memory-store';
import { runStoreConformance } from './store.conformance';

runStoreConformance('memory', () => new MemoryStore());
