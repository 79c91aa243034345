/*
 * First light's frame supply: a bump allocator over the frames after the kernel image, and a
 * helper that zeroes a frame. Paging structures are reached at their physical address, which is
 * also their linear address while first light runs (paging is off on i386, and the x86-64 boot
 * and first-light tables identity-map the low memory used here).
 *
 * This is the smallest thing that can hand out frames before the real physical page bitmap
 * (src/, issue "Shared layer") exists; it never frees.
 */
import { portWrite32 } from '../../../src/port/port.ts';

let nextFreeFrame: number = 0;

export const firstLightFramesFrom = (firstFrame: number): number => {
  nextFreeFrame = firstFrame;
  return 0;
};

/** Takes the next frame, zeroed; returns its physical address (below 4 GiB). */
export const firstLightTakeZeroedFrame = (): number => {
  const address: number = nextFreeFrame << 12;
  nextFreeFrame = (nextFreeFrame + 1) | 0;
  for (let offset: number = 0; offset < 4096; offset = (offset + 4) | 0) {
    portWrite32((address + offset) | 0, 0, 0);
  }
  return address;
};

export const firstLightFramesUsedUntil = (): number => nextFreeFrame;
