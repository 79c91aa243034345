/*
 * Region workloads for the benchmark (tools/bench.ts), in the subset so the same loops run in
 * Node and compiled by porffor, on x86-64 4-level paging over the flat machine (the direct map at
 * 0xFFFF8000_00000000 is folded onto physical memory). Each returns a count the runner checks.
 */
import { portWriteCr3 } from '../../../src/port/port.ts';
import { pairHi } from '../../../src/int64/pair.ts';
import { frameBitmapInit, frameBitmapStorageBytes, frameBitmapAddUsable, frameBitmapReserve } from '../../../src/memory/frame-bitmap.ts';
import { frameCountersInit, frameCountersBytes } from '../../../src/memory/frame-counters.ts';
import { archPagingInit } from '../../../src/paging/backend.ts';
import { tableAccessDirect } from '../../../src/paging/table-access.ts';
import { addressSpaceKernelCreate } from '../../../src/paging/address-spaces.ts';
import { virtualSpacePoolInit, virtualSpacePoolBytes } from '../../../src/region/virtual-space-pool.ts';
import { virtualSpaceCreate } from '../../../src/region/virtual-space.ts';
import { regionsInit, regionsReserveWindow, allocKernelRegion, allocRegion, freeRegion, findFreeRegion } from '../../../src/region/regions.ts';
import { isErrorCode } from '../../../src/errors.ts';

const BENCH_DIRECT_HI: number = -32768; // 0xFFFF8000_00000000
const BENCH_REGIONS_HI: number = -16384; // 0xFFFFC000_00000000
const BENCH_STORAGE: number = 16777216; // 16 MiB: bitmap, then counters
const BENCH_POOL: number = 134217728; // 128 MiB: the free-space index
const BENCH_RESERVED_FRAMES: number = 65536; // the first 256 MiB hold the above
const BENCH_COMMIT_RW: number = 3;
const BENCH_SMALL_PAGES: number = 512;

/** Sets the manager up over `frames` frames (at least 2^16); returns the kernel root's frame. */
export const benchRegionsInit = (frames: number): number => {
  const bitmapBytes: number = frameBitmapStorageBytes(frames);
  frameBitmapInit(frames, BENCH_STORAGE, BENCH_DIRECT_HI, bitmapBytes);
  frameBitmapAddUsable(0, frames);
  frameBitmapReserve(0, BENCH_RESERVED_FRAMES);
  frameCountersInit(frames, (BENCH_STORAGE + bitmapBytes) | 0, BENCH_DIRECT_HI, frameCountersBytes(frames));
  archPagingInit(4, 7);
  tableAccessDirect(0, BENCH_DIRECT_HI, frames);
  const root: number = addressSpaceKernelCreate();
  portWriteCr3(root << 12, root >>> 20);
  virtualSpacePoolInit(BENCH_POOL, BENCH_DIRECT_HI, virtualSpacePoolBytes(250000));
  const space: number = virtualSpaceCreate(0, BENCH_DIRECT_HI, 0, 0);
  regionsInit(root, space, 0, BENCH_REGIONS_HI);
  regionsReserveWindow(0, BENCH_DIRECT_HI, frames);
  return root;
};

/**
 * Makes `count` live one-page regions with a free page between each two (so the free-space index
 * holds `count` ranges); returns how many are live.
 */
export const benchRegionsPopulate = (count: number): number => {
  const firstLo: number = allocKernelRegion(0, 0, 4096, 0, BENCH_COMMIT_RW);
  if (isErrorCode(firstLo) === 1) return firstLo;
  const firstHi: number = pairHi;
  for (let k: number = 1; k < count << 1; k = (k + 1) | 0) {
    if (isErrorCode(allocKernelRegion(0, 0, 4096, 0, BENCH_COMMIT_RW)) === 1) return -1;
  }
  let live: number = 0;
  for (let k: number = 0; k < count << 1; k = (k + 2) | 0) {
    if (freeRegion((firstLo + (k << 12)) | 0, firstHi, 4096, 0) === 0) live = (live + 1) | 0;
  }
  return live;
};

/** findFreeRegion + allocRegion + freeRegion of a two-page region, `repeats` times; returns successes. */
export const benchRegionCycle = (repeats: number): number => {
  let done: number = 0;
  for (let k: number = 0; k < repeats; k = (k + 1) | 0) {
    const lo: number = findFreeRegion(0, BENCH_REGIONS_HI, 8192, 0);
    if (isErrorCode(lo) === 1) return done;
    const hi: number = pairHi;
    if (isErrorCode(allocRegion(lo, hi, 0, 0, 8192, 0, BENCH_COMMIT_RW)) === 1) return done;
    if (freeRegion(lo, hi, 8192, 0) !== 0) return done;
    done = (done + 1) | 0;
  }
  return done;
};

/** Maps 1 GiB with 4 KiB pages and unmaps it; returns 1 on success. */
export const benchMapUnmapGigabyte = (): number => {
  const lo: number = allocKernelRegion(0, 0, 1073741824, 0, BENCH_COMMIT_RW | BENCH_SMALL_PAGES);
  if (isErrorCode(lo) === 1) return lo;
  const hi: number = pairHi;
  return freeRegion(lo, hi, 1073741824, 0) === 0 ? 1 : 0;
};
