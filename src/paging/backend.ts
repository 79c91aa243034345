/*
 * The paging backend seam, host version.
 *
 * The generic paging code (src/paging/, src/region/) reaches the entry formats and the
 * address-space layout only through the arch* functions below. In a kernel the bundler links the
 * architecture's own arch/<arch>/backend.ts in place of this file (tools/bundle.mjs --arch), so
 * the calls are direct C calls; on the host this twin delegates to a backend module that a test
 * installs - which lets one vitest run drive both architectures. Never compiled by porffor: full
 * TypeScript. A test checks that both backends export exactly these functions.
 */
import type * as X86_64Backend from '../../arch/x86-64/backend.ts';

export type PagingBackend = typeof X86_64Backend;

let backend: PagingBackend | null = null;

/** Installs the backend the seam delegates to (tests call this, then archPagingInit). */
export const installBackend = (next: PagingBackend | null): void => {
  backend = next;
};

const b = (): PagingBackend => {
  if (backend === null) throw new Error('paging backend: none installed (call installBackend first)');
  return backend;
};

export const archPagingInit = (mode: number, features: number): number => b().archPagingInit(mode, features);
export const archPagingMode = (): number => b().archPagingMode();
export const archLevels = (): number => b().archLevels();
export const archEntryShift = (): number => b().archEntryShift();
export const archTableEntries = (level: number): number => b().archTableEntries(level);
export const archLevelShift = (level: number): number => b().archLevelShift(level);
export const archLeafAllowed = (level: number): number => b().archLeafAllowed(level);
export const archIndexOf = (level: number, lo: number, hi: number): number => b().archIndexOf(level, lo, hi);
export const archEncodeTable = (frame: number, level: number, flags: number): number => b().archEncodeTable(frame, level, flags);
export const archEncodeLeaf = (frame: number, level: number, flags: number): number => b().archEncodeLeaf(frame, level, flags);
export const archEntryPresent = (lo: number, hi: number): number => b().archEntryPresent(lo, hi);
export const archEntryIsLeaf = (level: number, lo: number, hi: number): number => b().archEntryIsLeaf(level, lo, hi);
export const archEntryFrame = (level: number, lo: number, hi: number): number => b().archEntryFrame(level, lo, hi);
export const archEntryFlags = (lo: number, hi: number): number => b().archEntryFlags(lo, hi);
export const archTableEntryWiden = (lo: number, hi: number, flags: number): number => b().archTableEntryWiden(lo, hi, flags);
export const archRootChangeNeedsReload = (): number => b().archRootChangeNeedsReload();
export const archFrameLimit = (): number => b().archFrameLimit();
export const archRootFrameLimit = (): number => b().archRootFrameLimit();
export const archAddressBits = (): number => b().archAddressBits();
export const archCanonical = (lo: number, hi: number): number => b().archCanonical(lo, hi);
export const archUserStartLo = (): number => b().archUserStartLo();
export const archUserStartHi = (): number => b().archUserStartHi();
export const archUserEndLo = (): number => b().archUserEndLo();
export const archUserEndHi = (): number => b().archUserEndHi();
export const archKernelStartLo = (): number => b().archKernelStartLo();
export const archKernelStartHi = (): number => b().archKernelStartHi();
export const archKernelRangeCount = (): number => b().archKernelRangeCount();
export const archKernelRangeStartLo = (index: number): number => b().archKernelRangeStartLo(index);
export const archKernelRangeStartHi = (index: number): number => b().archKernelRangeStartHi(index);
export const archKernelRangeEndLo = (index: number): number => b().archKernelRangeEndLo(index);
export const archKernelRangeEndHi = (index: number): number => b().archKernelRangeEndHi(index);
export const archDirectMapStartLo = (): number => b().archDirectMapStartLo();
export const archDirectMapStartHi = (): number => b().archDirectMapStartHi();
export const archDirectMapMaxFrames = (): number => b().archDirectMapMaxFrames();
export const archKernelRegionsStartLo = (): number => b().archKernelRegionsStartLo();
export const archKernelRegionsStartHi = (): number => b().archKernelRegionsStartHi();
export const archImageWindowLo = (): number => b().archImageWindowLo();
export const archImageWindowHi = (): number => b().archImageWindowHi();
export const archImageWindowFrames = (): number => b().archImageWindowFrames();
export const archSelfMapIndex = (): number => b().archSelfMapIndex();
