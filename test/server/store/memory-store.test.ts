// The in-memory Store against the conformance suite.
import { MemoryStore } from '../../../server/store/memory-store';
import { runStoreConformance } from './store.conformance';
import { runForgettingConformance } from './forgetting.conformance';
import { runEnrollmentConformance } from './enrollment.conformance';

runStoreConformance('memory', () => new MemoryStore());
runForgettingConformance('memory', () => new MemoryStore());
runEnrollmentConformance('memory', () => new MemoryStore());
