/*
 * Page-bitmap workloads for the benchmark (tools/bench.ts), written in the subset so the very
 * same loops run in Node and compiled by porffor. Each returns a count the runner checks, so a
 * workload that silently did nothing cannot pass for a fast one.
 */
import { frameAlloc, frameAllocContiguous, frameFreeRange, frameClaim } from '../../../src/memory/frame-bitmap.ts';

/** Allocates frames one by one until none is left; returns how many. */
export const benchAllocEveryFrame = (): number => {
  let count: number = 0;
  while (frameAlloc() >= 0) count = (count + 1) | 0;
  return count;
};

/**
 * Fragments frames [first, end): claims one frame in every `stride`, at a pseudo-random offset,
 * so no free run is longer than 2 * stride - 2. Returns how many frames it claimed.
 */
export const benchFragment = (first: number, end: number, stride: number, seed: number): number => {
  let state: number = seed;
  let claimed: number = 0;
  for (let block: number = first; block <= end - stride; block = (block + stride) | 0) {
    // xorshift32: shifts and xors only, so Node and the i32 C agree bit for bit
    state = state ^ (state << 13);
    state = state ^ (state >>> 17);
    state = state ^ (state << 5);
    const frame: number = (block + ((state >>> 8) & (stride - 1))) | 0;
    if (frameClaim(frame, 1) === 0) claimed = (claimed + 1) | 0;
  }
  return claimed;
};

/** Allocates and frees a run of `count` frames aligned to `align`, `repeats` times; returns successes. */
export const benchContiguous = (count: number, align: number, repeats: number): number => {
  let done: number = 0;
  for (let k: number = 0; k < repeats; k = (k + 1) | 0) {
    const first: number = frameAllocContiguous(count, align);
    if (first < 0) return done;
    frameFreeRange(first, count);
    done = (done + 1) | 0;
  }
  return done;
};
