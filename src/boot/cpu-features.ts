/*
 * What the CPU offers the paging backends, read with CPUID: NX, 1 GiB pages, global pages, and
 * PSE (4 MiB pages in two-level mode). The result is a set of FEATURE_* bits
 * (src/paging/paging-modes.ts); memory-manager-init.ts switches on what it uses.
 */
import { portCpuid } from '../port/port.ts';
import { FEATURE_NX, FEATURE_GIGABYTE_PAGES, FEATURE_GLOBAL_PAGES, FEATURE_LARGE_PAGES } from '../paging/paging-modes.ts';

const CPUID_EDX: number = 3;
const CPUID_BASIC: number = 1;
const CPUID_EXTENDED_MAX: number = -2147483648; // 0x80000000
const CPUID_EXTENDED: number = -2147483647; // 0x80000001

export const cpuPagingFeatures = (): number => {
  let features: number = 0;
  const basic: number = portCpuid(CPUID_BASIC, 0, CPUID_EDX);
  if ((basic & 8) !== 0) features = features | FEATURE_LARGE_PAGES; // PSE
  if ((basic & 8192) !== 0) features = features | FEATURE_GLOBAL_PAGES; // PGE
  const extendedMax: number = portCpuid(CPUID_EXTENDED_MAX, 0, 0);
  // the extended leaves exist when the maximum is at least 0x80000001 (compare as unsigned)
  if ((extendedMax ^ -2147483648) >= (CPUID_EXTENDED ^ -2147483648)) {
    const extended: number = portCpuid(CPUID_EXTENDED, 0, CPUID_EDX);
    if ((extended & 1048576) !== 0) features = features | FEATURE_NX;
    if ((extended & 67108864) !== 0) features = features | FEATURE_GIGABYTE_PAGES;
  }
  return features;
};
