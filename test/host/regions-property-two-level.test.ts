/*
 * The region property test in two-level mode: the regression cases, the fixed seeds, then 10^5 random
 * operations (TSMM_REGIONS_OPS) from a fresh base seed (printed; TSMM_REGIONS_SEED=N replays it).
 * Everything is in test/host/regions-property-harness.ts.
 */
import { regionsPropertySuite } from './regions-property-harness.ts';

regionsPropertySuite('two-level');
