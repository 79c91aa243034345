/*
 * Kernel heap discovery (seed 001): the largest 4 KiB-aligned run of usable physical memory left
 * after every reservation, handed to the kernel's heap allocator in the kernel's own view of
 * physical memory (physical + a fixed offset: identity on i386, the direct map on x86-64).
 *
 * The run comes from the page bitmap, so it already excludes firmware ranges, the kernel image,
 * boot data and the bitmap. The heap owns it exclusively: discovery claims its frames in the
 * bitmap, so no other allocation can ever hand them out.
 */
import { ERR_NONE, ERR_NO_USABLE_MEMORY, ERR_NO_PHYSICAL_MAPPING, ERR_OVERFLOW, ERR_INVALID_ARGUMENT } from '../errors.ts';
import { add64, addCarries64, frameToAddress, pairHi, returnPair } from '../int64/pair.ts';
import { frameLargestFreeRun, frameLargestFreeRunCount, frameClaim } from './frame-bitmap.ts';

let heapFirstFrame: number = -1;
let heapFrames: number = 0;
let heapBaseLo: number = 0;
let heapBaseHi: number = 0;

/**
 * Finds the largest free run and claims it for the heap. The kernel sees physical memory below
 * frame `mappedFrames` at linear (physical + (offsetLo, offsetHi)). Returns ERR_NONE, or
 * ERR_NO_USABLE_MEMORY (no free frame at all), ERR_NO_PHYSICAL_MAPPING (the run reaches beyond
 * what the kernel maps), ERR_OVERFLOW (the run's linear range would wrap around 2^64),
 * ERR_INVALID_ARGUMENT (mappedFrames not positive). On error nothing is claimed.
 */
export const kernelHeapDiscover = (offsetLo: number, offsetHi: number, mappedFrames: number): number => {
  if (mappedFrames <= 0) return ERR_INVALID_ARGUMENT;
  const first: number = frameLargestFreeRun();
  if (first < 0) return ERR_NO_USABLE_MEMORY;
  const count: number = frameLargestFreeRunCount();
  if (first >= mappedFrames || count > mappedFrames - first) return ERR_NO_PHYSICAL_MAPPING;
  const physicalLo: number = frameToAddress(first);
  const physicalHi: number = pairHi;
  if (addCarries64(physicalLo, physicalHi, offsetLo, offsetHi) === 1) return ERR_OVERFLOW;
  const baseLo: number = add64(physicalLo, physicalHi, offsetLo, offsetHi);
  const baseHi: number = pairHi;
  const sizeLo: number = frameToAddress(count);
  if (addCarries64(baseLo, baseHi, sizeLo, pairHi) === 1) return ERR_OVERFLOW;
  const claimed: number = frameClaim(first, count);
  if (claimed !== ERR_NONE) return claimed;
  heapFirstFrame = first;
  heapFrames = count;
  heapBaseLo = baseLo;
  heapBaseHi = baseHi;
  return ERR_NONE;
};

/** The heap's first frame (-1 before discovery) and its length in frames. */
export const kernelHeapFirstFrame = (): number => heapFirstFrame;
export const kernelHeapFrames = (): number => heapFrames;
/** The heap's start in the kernel's view: low half returned, high half in pairHi. */
export const kernelHeapBase = (): number => returnPair(heapBaseLo, heapBaseHi);
export const kernelHeapBaseHi = (): number => heapBaseHi;
