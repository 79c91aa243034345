/*
 * Frames for the test kernels' own page tables, from the real page bitmap: taken with frameAlloc
 * and zeroed through their identity address (the kernels build their first tables while low
 * physical memory is still visible at its own address: paging off on i386, the boot tables'
 * identity map on x86-64).
 */
import { portWrite32 } from '../../../src/port/port.ts';
import { frameAlloc } from '../../../src/memory/frame-bitmap.ts';

/** A zeroed frame's physical address (below 4 GiB), or a negative error from the bitmap. */
export const kernelTakeZeroedFrame = (): number => {
  const frame: number = frameAlloc();
  if (frame < 0) return frame;
  const address: number = frame << 12;
  for (let offset: number = 0; offset < 4096; offset = (offset + 4) | 0) {
    portWrite32((address + offset) | 0, 0, 0);
  }
  return address;
};
