/*
 * The paging backends (arch/i386/backend.ts: two-level and PAE; arch/x86-64/backend.ts: 4- and
 * 5-level), driven through the host seam (src/paging/backend.ts) exactly as the generic code will
 * drive them, and checked against the emulated MMU:
 *
 * - hierarchies built by hand with ONLY the backend's encoders (archEncodeTable/Leaf, archIndexOf,
 *   archLevelShift, archTableEntries, archEntryShift) translate, in that paging mode on the
 *   machine, to exactly the frame, page size and rights asked for - every leaf size the mode
 *   allows, every flag combination, frames above 4 GiB where the format holds them;
 * - the decoders (archEntryPresent/IsLeaf/Frame/Flags) invert the encoders over many frames and
 *   flags, also with the bits the MMU or firmware add (A, D, PAT);
 * - a walk of machine-independent tables (PageTableBuilder) by the backend's decoders agrees with
 *   the machine's walk;
 * - canonical addresses, the layout, leaf sizes per CPU feature, and the export lists.
 */
import { afterEach, describe, expect, it } from 'vitest';
import * as i386Backend from '../../arch/i386/backend.ts';
import * as x64Backend from '../../arch/x86-64/backend.ts';
import * as seam from '../../src/paging/backend.ts';
import {
  archAddressBits,
  archCanonical,
  archEncodeLeaf,
  archEncodeTable,
  archEntryFlags,
  archEntryFrame,
  archEntryIsLeaf,
  archEntryPresent,
  archEntryShift,
  archIndexOf,
  archKernelRangeCount,
  archKernelRangeEndHi,
  archKernelRangeEndLo,
  archKernelRangeStartHi,
  archKernelRangeStartLo,
  archKernelStartHi,
  archKernelStartLo,
  archLeafAllowed,
  archLevelShift,
  archLevels,
  archPagingInit,
  archPagingMode,
  archRootChangeNeedsReload,
  archTableEntries,
  archTableEntryWiden,
  archUserEndHi,
  archUserEndLo,
  archUserStartHi,
  archUserStartLo,
  installBackend,
  type PagingBackend,
} from '../../src/paging/backend.ts';
import { pairHi } from '../../src/int64/pair.ts';
import { ERR_NONE, ERR_UNSUPPORTED } from '../../src/errors.ts';
import {
  PAGE_FOREIGN,
  PAGE_GLOBAL,
  PAGE_IO,
  PAGE_NO_EXECUTE,
  PAGE_UNCACHED,
  PAGE_USER,
  PAGE_WRITE,
  PAGE_WRITE_THROUGH,
  pageFlagsForTable,
} from '../../src/paging/page-flags.ts';
import {
  FEATURE_GIGABYTE_PAGES,
  FEATURE_GLOBAL_PAGES,
  FEATURE_LARGE_PAGES,
  FEATURE_NX,
  PAGING_FIVE_LEVEL,
  PAGING_FOUR_LEVEL,
  PAGING_PAE,
  PAGING_TWO_LEVEL,
} from '../../src/paging/paging-modes.ts';
import {
  CR0_PG,
  CR0_WP,
  CR4_LA57,
  CR4_PAE,
  CR4_PGE,
  CR4_PSE,
  EFER_LME,
  EFER_NXE,
  GeneralProtectionError,
  PTE_A,
  PTE_D,
  PTE_G,
  PTE_HI_NX,
  PTE_P,
  PTE_PCD,
  PTE_PS,
  PTE_PWT,
  PTE_RW,
  PTE_US,
  PageTableBuilder,
  createMachine,
  framesFrom,
  fromPair,
  hex,
  hexPair,
  toPair,
  type CpuFeatures,
  type EmulatedMachine,
  type TableFormat,
} from '../machine/index.ts';

// ---------------------------------------------------------------------------------------------
// The modes under test
// ---------------------------------------------------------------------------------------------

interface ModeCase {
  name: string;
  backend: PagingBackend;
  mode: number;
  features: number;
  format: TableFormat;
  /** CPU features the machine lacks (it then enforces their absence). */
  cpu: Partial<CpuFeatures>;
  cr4: number;
  efer: number;
  /** Levels where a leaf is allowed, and the page sizes they map. */
  leafLevels: number[];
  /** NX is encoded and enforced. */
  nx: boolean;
  /** G is encoded (FEATURE_GLOBAL_PAGES) and honoured (CR4.PGE). */
  global: boolean;
  /** log2 of the largest frame + 1 a leaf at each level can hold (index = level). */
  frameBits: number[];
  /** Page tables and directories may lie above 4 GiB (not the root). */
  tablesAbove4G: boolean;
}

/** int32 frame numbers: pages below 8 TiB, far below MAXPHYADDR 52 (the machine's default). */
const WIDE: number[] = [0, 31, 31, 31];

const MODES: ModeCase[] = [
  {
    name: 'i386 two-level, 4 KiB pages only (no PSE, no PGE)',
    backend: i386Backend,
    mode: PAGING_TWO_LEVEL,
    features: 0,
    format: 'two-level',
    cpu: { pse: false, pge: false },
    cr4: 0,
    efer: 0,
    leafLevels: [1],
    nx: false,
    global: false,
    frameBits: [0, 20],
    tablesAbove4G: false,
  },
  {
    name: 'i386 two-level + PSE (4 MiB pages, PSE-36) + PGE',
    backend: i386Backend,
    mode: PAGING_TWO_LEVEL,
    features: FEATURE_LARGE_PAGES | FEATURE_GLOBAL_PAGES | FEATURE_NX, // NX: ignored by the format
    format: 'two-level',
    cpu: {},
    cr4: CR4_PSE | CR4_PGE,
    efer: 0,
    leafLevels: [1, 2],
    nx: false,
    global: true,
    frameBits: [0, 20, 28],
    tablesAbove4G: false,
  },
  {
    name: 'i386 PAE, no NX (bit 63 reserved)',
    backend: i386Backend,
    mode: PAGING_PAE,
    features: FEATURE_GLOBAL_PAGES,
    format: 'pae',
    cpu: { nx: false },
    cr4: CR4_PAE | CR4_PGE,
    efer: 0,
    leafLevels: [1, 2],
    nx: false,
    global: true,
    frameBits: WIDE,
    tablesAbove4G: true,
  },
  {
    name: 'i386 PAE + NX',
    backend: i386Backend,
    mode: PAGING_PAE,
    features: FEATURE_NX | FEATURE_GLOBAL_PAGES | FEATURE_GIGABYTE_PAGES, // 1 GiB: not in PAE
    format: 'pae',
    cpu: {},
    cr4: CR4_PAE | CR4_PGE | CR4_PSE,
    efer: EFER_NXE,
    leafLevels: [1, 2],
    nx: true,
    global: true,
    frameBits: WIDE,
    tablesAbove4G: true,
  },
  {
    name: 'x86-64 4-level, no 1 GiB pages, no NX, no PGE',
    backend: x64Backend,
    mode: PAGING_FOUR_LEVEL,
    features: 0,
    format: 'four-level',
    cpu: { pdpe1gb: false, nx: false, la57: false },
    cr4: CR4_PAE,
    efer: EFER_LME,
    leafLevels: [1, 2],
    nx: false,
    global: false,
    frameBits: WIDE,
    tablesAbove4G: true,
  },
  {
    name: 'x86-64 4-level + 1 GiB pages',
    backend: x64Backend,
    mode: PAGING_FOUR_LEVEL,
    features: FEATURE_NX | FEATURE_GLOBAL_PAGES | FEATURE_GIGABYTE_PAGES,
    format: 'four-level',
    cpu: {},
    cr4: CR4_PAE | CR4_PGE,
    efer: EFER_LME | EFER_NXE,
    leafLevels: [1, 2, 3],
    nx: true,
    global: true,
    frameBits: WIDE,
    tablesAbove4G: true,
  },
  {
    name: 'x86-64 5-level, no 1 GiB pages',
    backend: x64Backend,
    mode: PAGING_FIVE_LEVEL,
    features: FEATURE_NX | FEATURE_GLOBAL_PAGES,
    format: 'five-level',
    cpu: { pdpe1gb: false },
    cr4: CR4_PAE | CR4_PGE | CR4_LA57,
    efer: EFER_LME | EFER_NXE,
    leafLevels: [1, 2],
    nx: true,
    global: true,
    frameBits: WIDE,
    tablesAbove4G: true,
  },
  {
    name: 'x86-64 5-level + 1 GiB pages',
    backend: x64Backend,
    mode: PAGING_FIVE_LEVEL,
    features: FEATURE_NX | FEATURE_GLOBAL_PAGES | FEATURE_GIGABYTE_PAGES,
    format: 'five-level',
    cpu: {},
    cr4: CR4_PAE | CR4_PGE | CR4_LA57,
    efer: EFER_LME | EFER_NXE,
    leafLevels: [1, 2, 3],
    nx: true,
    global: true,
    frameBits: WIDE,
    tablesAbove4G: true,
  },
];

const use = (mode: ModeCase): void => {
  installBackend(mode.backend);
  expect(archPagingInit(mode.mode, mode.features)).toBe(ERR_NONE);
};

afterEach(() => installBackend(null));

// ---------------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------------

/** A small deterministic PRNG (mulberry32): the same "random" cases on every run. */
const prng = (seed: number): (() => number) => {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (t ^ (t >>> 14)) >>> 0;
  };
};

/** A random frame below 2^bits aligned to a leaf of `shift` (frames count 4 KiB). */
const randomFrame = (next: () => number, bits: number, shift: number): number => {
  const align = 2 ** (shift - 12);
  const raw = (next() * 2 ** 21 + (next() >>> 11)) % 2 ** bits; // up to 53 random bits, exact
  return raw - (raw % align);
};

/** The largest frame below 2^bits aligned to a leaf of `shift`. */
const topFrame = (bits: number, shift: number): number => 2 ** bits - 2 ** (shift - 12);

const ALL_FLAGS = [PAGE_WRITE, PAGE_USER, PAGE_NO_EXECUTE, PAGE_UNCACHED, PAGE_WRITE_THROUGH, PAGE_GLOBAL, PAGE_FOREIGN, PAGE_IO];
/** Every combination of the 8 page flags. */
const FLAG_COMBOS: number[] = Array.from({ length: 256 }, (_, i) => ALL_FLAGS.reduce((acc, flag, bit) => ((i >> bit) & 1 ? acc | flag : acc), 0));

/** The flags an entry made from `flags` reports back in this mode. */
const keptFlags = (mode: ModeCase, flags: number): number => {
  let kept = flags;
  if ((mode.features & FEATURE_NX) === 0 || mode.format === 'two-level') kept &= ~PAGE_NO_EXECUTE;
  if ((mode.features & FEATURE_GLOBAL_PAGES) === 0) kept &= ~PAGE_GLOBAL;
  return kept;
};

/**
 * Collects mismatches of a loop with tens of thousands of checks (one expect per check would
 * cost minutes): `check(actual, expected, what)`, then `expect(mismatches).toEqual([])`.
 */
const mismatchLog = (): { mismatches: string[]; check: (actual: unknown, expected: unknown, what: string) => void } => {
  const mismatches: string[] = [];
  const check = (actual: unknown, expected: unknown, what: string): void => {
    if (actual !== expected && mismatches.length < 20) mismatches.push(`${what}: got ${String(actual)}, expected ${String(expected)}`);
  };
  return { mismatches, check };
};

/** log2 of n (a power of two). */
const log2 = (n: number): number => 31 - Math.clz32(n);

const machineFor = (mode: ModeCase): EmulatedMachine => createMachine({ ramBytes: 2 ** 40, cpu: mode.cpu });

/** Turns on the mode's paging with `rootFrame` in CR3, as a kernel would. */
const enablePaging = (machine: EmulatedMachine, mode: ModeCase, rootFrame: number): void => {
  machine.writeCr4(mode.cr4);
  machine.writeCr3(rootFrame * 4096, 0);
  machine.writeEfer(mode.efer);
  machine.writeCr0(machine.readCr0() | CR0_PG | CR0_WP);
  expect(machine.pagingMode).toBe(mode.format);
};

/**
 * A hierarchy built in the machine's physical memory with the installed backend's encoders only,
 * as the generic walker (src/paging/walker.ts) builds it: missing tables get
 * archEncodeTable(frame, level, pageFlagsForTable(flags)), present ones are widened when their
 * archEntryFlags lack a right the new leaf needs.
 */
class BackendTables {
  readonly entryBytes = 1 << archEntryShift();
  /** Widenings done, per level of the widened entry. */
  readonly widened: number[] = [0, 0, 0, 0, 0, 0];
  private nextFrame: number;

  constructor(
    private readonly machine: EmulatedMachine,
    readonly rootFrame: number,
    firstTableFrame: number,
  ) {
    this.nextFrame = firstTableFrame;
    machine.zeroFrame(rootFrame);
  }

  read(address: number): [number, number] {
    return this.entryBytes === 4 ? [this.machine.readPhys32(address), 0] : this.machine.readPhys64(address);
  }

  write(address: number, lo: number, hi: number): void {
    if (this.entryBytes === 4) {
      expect(hi).toBe(0);
      this.machine.writePhys32(address, lo);
    } else this.machine.writePhys64(address, lo, hi);
  }

  /** Address of the entry at `level` in `tableFrame` for (lo, hi). */
  entryAt(tableFrame: number, level: number, lo: number, hi: number): number {
    const index = archIndexOf(level, lo, hi);
    expect(index).toBeGreaterThanOrEqual(0);
    expect(index).toBeLessThan(archTableEntries(level));
    return tableFrame * 4096 + index * this.entryBytes;
  }

  /** Maps the leaf at `leafLevel` for (lo, hi); returns the leaf entry's physical address. */
  map(lo: number, hi: number, frame: number, leafLevel: number, flags: number): number {
    let table = this.rootFrame;
    for (let level = archLevels(); level > leafLevel; level--) {
      const address = this.entryAt(table, level, lo, hi);
      let [entryLo, entryHi] = this.read(address);
      const tableFlags = pageFlagsForTable(flags);
      if (archEntryPresent(entryLo, entryHi) === 0) {
        const fresh = this.nextFrame++;
        this.machine.zeroFrame(fresh);
        entryLo = archEncodeTable(fresh, level, tableFlags);
        entryHi = pairHi;
        this.write(address, entryLo, entryHi);
        expect(archEntryFrame(level, entryLo, entryHi) >>> 0).toBe(fresh);
      } else if ((archEntryFlags(entryLo, entryHi) & tableFlags) !== tableFlags) {
        entryLo = archTableEntryWiden(entryLo, entryHi, tableFlags);
        entryHi = pairHi;
        this.write(address, entryLo, entryHi);
        this.widened[level]!++;
      }
      expect(archEntryFlags(entryLo, entryHi) & tableFlags).toBe(tableFlags);
      expect(archEntryIsLeaf(level, entryLo, entryHi)).toBe(0);
      table = archEntryFrame(level, entryLo, entryHi) >>> 0;
    }
    const address = this.entryAt(table, leafLevel, lo, hi);
    expect(archEntryPresent(...this.read(address))).toBe(0);
    const leafLo = archEncodeLeaf(frame, leafLevel, flags);
    this.write(address, leafLo, pairHi);
    return address;
  }
}

/** Linear base for the leaves of `level`: the top leaf size in kernel space, the others in user space. */
const leafBase = (mode: ModeCase, level: number): bigint => {
  if (level === mode.leafLevels[mode.leafLevels.length - 1]) return fromPair(archKernelStartLo(), archKernelStartHi());
  if (level === 1) return fromPair(archUserStartLo(), archUserStartHi());
  return 1n << 30n; // 2 MiB pages under 1 GiB pages: user space from 1 GiB
};

// ---------------------------------------------------------------------------------------------
// The seam
// ---------------------------------------------------------------------------------------------

describe('the paging seam', () => {
  const functionsOf = (module: object): string[] =>
    Object.entries(module)
      .filter(([, value]) => typeof value === 'function')
      .map(([name]) => name)
      .sort();

  it('arch/i386/backend.ts, arch/x86-64/backend.ts and src/paging/backend.ts export the same functions', () => {
    const seamNames = functionsOf(seam).filter((name) => name !== 'installBackend');
    expect(Object.keys(i386Backend).sort()).toEqual(seamNames);
    expect(Object.keys(x64Backend).sort()).toEqual(seamNames);
    expect(Object.keys(seam).sort()).toEqual([...seamNames, 'installBackend'].sort());
    expect(seamNames.every((name) => name.startsWith('arch'))).toBe(true);
    expect(seamNames.length).toBeGreaterThan(20);
  });

  it('and with the same number of parameters', () => {
    const arity = (module: Record<string, unknown>): Record<string, number> =>
      Object.fromEntries(functionsOf(module).map((name) => [name, (module[name] as (...args: number[]) => number).length]));
    const seamArity = arity(seam as unknown as Record<string, unknown>);
    delete seamArity.installBackend;
    expect(arity(i386Backend as unknown as Record<string, unknown>)).toEqual(seamArity);
    expect(arity(x64Backend as unknown as Record<string, unknown>)).toEqual(seamArity);
  });

  it('refuses to run without a backend', () => {
    installBackend(null);
    expect(() => archLevels()).toThrow(/none installed/);
  });

  it('archPagingInit accepts only its architecture’s modes', () => {
    installBackend(i386Backend);
    for (const bad of [0, 1, PAGING_FOUR_LEVEL, PAGING_FIVE_LEVEL, 6, -1]) expect(archPagingInit(bad, 0)).toBe(ERR_UNSUPPORTED);
    expect(archPagingInit(PAGING_PAE, 0)).toBe(ERR_NONE);
    expect(archPagingMode()).toBe(PAGING_PAE);
    expect(archPagingInit(PAGING_FOUR_LEVEL, 0)).toBe(ERR_UNSUPPORTED);
    expect(archPagingMode()).toBe(PAGING_PAE); // a refused init changes nothing
    expect(archPagingInit(PAGING_TWO_LEVEL, 0)).toBe(ERR_NONE);
    expect(archPagingMode()).toBe(PAGING_TWO_LEVEL);
    installBackend(x64Backend);
    for (const bad of [0, 1, PAGING_TWO_LEVEL, PAGING_PAE, 6, -1]) expect(archPagingInit(bad, 0)).toBe(ERR_UNSUPPORTED);
    expect(archPagingInit(PAGING_FIVE_LEVEL, 0)).toBe(ERR_NONE);
    expect(archPagingMode()).toBe(PAGING_FIVE_LEVEL);
  });
});

// ---------------------------------------------------------------------------------------------
// Shapes, leaf sizes and layout, per mode
// ---------------------------------------------------------------------------------------------

interface Shape {
  levels: number;
  entryShift: number;
  entries: number[];
  shifts: number[];
  addressBits: number;
  reload: number;
  user: [bigint, bigint];
  kernelStart: bigint;
  /** Kernel ranges [start, end); an end of 0 is 2^64. */
  kernelRanges: Array<[bigint, bigint]>;
  /** Root entries wholly in a kernel range (shared by every address space) and partly in one. */
  kernelRoots: { full: number[]; partial: number[] };
}

const range = (first: number, count: number): number[] => Array.from({ length: count }, (_, i) => first + i);

const SHAPES: Record<TableFormat, Shape> = {
  'two-level': {
    levels: 2,
    entryShift: 2,
    entries: [1024, 1024],
    shifts: [12, 22],
    addressBits: 32,
    reload: 0,
    user: [0x400000n, 0xc0000000n],
    kernelStart: 0xc0000000n,
    kernelRanges: [
      [0n, 0x400000n],
      [0xc0000000n, 0x1_0000_0000n],
    ],
    kernelRoots: { full: [0, ...range(768, 256)], partial: [] },
  },
  pae: {
    levels: 3,
    entryShift: 3,
    entries: [512, 512, 4],
    shifts: [12, 21, 30],
    addressBits: 32,
    reload: 1,
    user: [0x400000n, 0xc0000000n],
    kernelStart: 0xc0000000n,
    kernelRanges: [
      [0n, 0x400000n],
      [0xc0000000n, 0x1_0000_0000n],
    ],
    kernelRoots: { full: [3], partial: [0] },
  },
  'four-level': {
    levels: 4,
    entryShift: 3,
    entries: [512, 512, 512, 512],
    shifts: [12, 21, 30, 39],
    addressBits: 48,
    reload: 0,
    user: [0x400000n, 0x0000800000000000n],
    kernelStart: 0xffff800000000000n,
    kernelRanges: [[0xffff800000000000n, 0n]],
    kernelRoots: { full: range(256, 256), partial: [] },
  },
  'five-level': {
    levels: 5,
    entryShift: 3,
    entries: [512, 512, 512, 512, 512],
    shifts: [12, 21, 30, 39, 48],
    addressBits: 57,
    reload: 0,
    user: [0x400000n, 0x0100000000000000n],
    kernelStart: 0xff00000000000000n,
    kernelRanges: [[0xff00000000000000n, 0n]],
    kernelRoots: { full: range(256, 256), partial: [] },
  },
};

describe.each(MODES)('$name: shape and layout', (mode) => {
  const shape = SHAPES[mode.format];

  it('has the levels, entry sizes, table sizes and level shifts of its format', () => {
    use(mode);
    expect(archPagingMode()).toBe(mode.mode);
    expect(archLevels()).toBe(shape.levels);
    expect(archEntryShift()).toBe(shape.entryShift);
    expect(shape.entries.map((_, i) => archTableEntries(i + 1))).toEqual(shape.entries);
    expect(shape.shifts.map((_, i) => archLevelShift(i + 1))).toEqual(shape.shifts);
    expect(archTableEntries(0)).toBe(0);
    expect(archAddressBits()).toBe(shape.addressBits);
    expect(archRootChangeNeedsReload()).toBe(shape.reload);
    // each level maps what its table below maps; the root covers the whole address space
    expect(archLevelShift(1)).toBe(12);
    for (let level = 1; level < archLevels(); level++) {
      expect(archLevelShift(level + 1)).toBe(archLevelShift(level) + log2(archTableEntries(level)));
    }
    expect(archLevelShift(archLevels()) + log2(archTableEntries(archLevels()))).toBe(archAddressBits());
  });

  it('allows leaves exactly where the features allow them', () => {
    use(mode);
    for (let level = 0; level <= archLevels() + 1; level++) {
      expect(archLeafAllowed(level), `level ${level}`).toBe(mode.leafLevels.includes(level) ? 1 : 0);
    }
  });

  it('lays out user and kernel space', () => {
    use(mode);
    expect(fromPair(archUserStartLo(), archUserStartHi())).toBe(shape.user[0]);
    expect(fromPair(archUserEndLo(), archUserEndHi())).toBe(shape.user[1]);
    expect(fromPair(archKernelStartLo(), archKernelStartHi())).toBe(shape.kernelStart);
    const ranges = Array.from({ length: archKernelRangeCount() }, (_, r) => [
      fromPair(archKernelRangeStartLo(r), archKernelRangeStartHi(r)),
      fromPair(archKernelRangeEndLo(r), archKernelRangeEndHi(r)),
    ]);
    expect(ranges).toEqual(shape.kernelRanges);
    // kernel ranges and user space are disjoint, and kernel space starts a kernel range
    const top2 = 2n ** 64n;
    const [userStart, userEnd] = shape.user;
    for (const [start, end] of shape.kernelRanges) {
      expect(end === 0n || start < end).toBe(true);
      expect((end === 0n ? top2 : end) <= userStart || start >= userEnd).toBe(true);
    }
    expect(shape.kernelRanges.some(([start]) => start === shape.kernelStart)).toBe(true);
    // the root entries that lie wholly in a kernel range, and those that lie partly in one
    const top = archLevels();
    const shift = BigInt(archLevelShift(top));
    const full: number[] = [];
    const partial: number[] = [];
    for (let index = 0; index < archTableEntries(top); index++) {
      const unsigned = BigInt(index) << shift;
      const [lo, hi] = toPair(archAddressBits() === 32 ? unsigned : BigInt.asIntN(archAddressBits(), unsigned));
      const start = fromPair(lo, hi);
      const end = start + (1n << shift);
      expect(archIndexOf(top, lo, hi)).toBe(index);
      let cover = 0;
      for (const [rangeStart, rangeEnd] of shape.kernelRanges) {
        const last = (rangeEnd === 0n ? top2 : rangeEnd) - 1n;
        if (start >= rangeStart && end - 1n <= last) cover = 2;
        else if (start <= last && end - 1n >= rangeStart) cover = Math.max(cover, 1);
      }
      if (cover === 2) full.push(index);
      if (cover === 1) partial.push(index);
    }
    expect({ full, partial }).toEqual(shape.kernelRoots);
    const [lastUserLo, lastUserHi] = toPair(userEnd - 1n);
    expect(archCanonical(archUserStartLo(), archUserStartHi())).toBe(1);
    expect(archCanonical(lastUserLo, lastUserHi)).toBe(1);
    expect(archCanonical(archKernelStartLo(), archKernelStartHi())).toBe(1);
    expect(archCanonical(-1, shape.addressBits === 32 ? 0 : -1)).toBe(1);
  });
});

// ---------------------------------------------------------------------------------------------
// Canonical addresses
// ---------------------------------------------------------------------------------------------

describe('archCanonical', () => {
  const cases: Array<[TableFormat, bigint, number]> = [
    ['four-level', 0x0000_0000_0000_0000n, 1],
    ['four-level', 0x0000_7fff_ffff_ffffn, 1],
    ['four-level', 0x0000_8000_0000_0000n, 0],
    ['four-level', 0x0001_0000_0000_0000n, 0],
    ['four-level', 0x7fff_ffff_ffff_ffffn, 0],
    ['four-level', 0x8000_0000_0000_0000n, 0],
    ['four-level', 0xffff_7fff_ffff_ffffn, 0],
    ['four-level', 0xffff_8000_0000_0000n, 1],
    ['four-level', 0xffff_ffff_ffff_ffffn, 1],
    ['five-level', 0x0000_8000_0000_0000n, 1],
    ['five-level', 0xffff_7fff_ffff_ffffn, 1],
    ['five-level', 0x00ff_ffff_ffff_ffffn, 1],
    ['five-level', 0x0100_0000_0000_0000n, 0],
    ['five-level', 0x7fff_ffff_ffff_ffffn, 0],
    ['five-level', 0x8000_0000_0000_0000n, 0],
    ['five-level', 0xfeff_ffff_ffff_ffffn, 0],
    ['five-level', 0xff00_0000_0000_0000n, 1],
    ['five-level', 0xffff_ffff_ffff_ffffn, 1],
  ];

  it.each(cases)('%s: %s -> %i, as the MMU decides', (format, linear, expected) => {
    const mode = MODES.find((m) => m.format === format)!;
    use(mode);
    const [lo, hi] = toPair(linear);
    expect(archCanonical(lo, hi)).toBe(expected);
    // the machine: a non-canonical access is a #GP, a canonical one a walk (here: not present)
    const machine = machineFor(mode);
    const root = new BackendTables(machine, 0x100, 0x200);
    enablePaging(machine, mode, root.rootFrame);
    const result = machine.translate(lo & ~3, hi);
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.fault.type).toBe(expected === 1 ? 'page-fault' : 'general-protection');
  });

  it('agrees with sign extension over random 64-bit addresses (48 and 57 bits)', () => {
    const next = prng(57);
    for (const mode of [MODES[5]!, MODES[7]!]) {
      use(mode);
      const bits = BigInt(archAddressBits());
      for (let i = 0; i < 4000; i++) {
        const raw = (BigInt(next()) << 32n) | BigInt(next());
        // half of them made canonical on purpose, with a random sign
        const linear = i % 2 === 0 ? BigInt.asUintN(64, BigInt.asIntN(Number(bits), raw)) : raw;
        const canonical = BigInt.asUintN(64, BigInt.asIntN(Number(bits), linear)) === linear ? 1 : 0;
        const [lo, hi] = toPair(linear);
        expect(archCanonical(lo, hi), hex(linear)).toBe(canonical);
      }
    }
  });

  it('i386: an address is canonical when its high half is 0', () => {
    for (const mode of MODES.slice(0, 4)) {
      use(mode);
      for (const lo of [0, 1, 0x400000, 0x7fffffff, 0x80000000 | 0, 0xc0000000 | 0, -1]) {
        expect(archCanonical(lo, 0)).toBe(1);
        expect(archCanonical(lo, 1)).toBe(0);
        expect(archCanonical(lo, -1)).toBe(0);
        expect(archCanonical(lo, 0x80000000 | 0)).toBe(0);
      }
    }
  });
});

// ---------------------------------------------------------------------------------------------
// Encoders and decoders, round trip
// ---------------------------------------------------------------------------------------------

describe.each(MODES)('$name: encoders and decoders', (mode) => {
  it('decode every leaf they encode: all flag combinations, many frames, every allowed level', () => {
    use(mode);
    const { mismatches, check } = mismatchLog();
    const next = prng(mode.mode * 131 + mode.features);
    let checked = 0;
    for (const level of mode.leafLevels) {
      const shift = archLevelShift(level);
      const bits = mode.frameBits[level]!;
      const frames = [0, topFrame(bits, shift), ...Array.from({ length: 24 }, () => randomFrame(next, bits, shift))];
      for (const frame of frames) {
        for (const flags of FLAG_COMBOS) {
          const lo = archEncodeLeaf(frame, level, flags);
          const hi = pairHi;
          const what = `level ${level} frame ${hex(frame)} flags ${hex(flags)} -> ${hexPair(lo, hi)}`;
          if (mode.format === 'two-level') check(hi, 0, `${what}: hi`);
          check(archEntryPresent(lo, hi), 1, `${what}: present`);
          check(archEntryIsLeaf(level, lo, hi), 1, `${what}: leaf`);
          check(archEntryFrame(level, lo, hi) >>> 0, frame, `${what}: frame`);
          check(archEntryFlags(lo, hi), keptFlags(mode, flags), `${what}: flags`);
          // what the MMU and the firmware add: A, D, and PAT (bit 7 of a PTE, bit 12 of a large leaf)
          const touched = lo | PTE_A | PTE_D | (level === 1 ? 1 << 7 : 1 << 12);
          check(archEntryIsLeaf(level, touched, hi), 1, `${what} + A, D, PAT: leaf`);
          check(archEntryFrame(level, touched, hi) >>> 0, frame, `${what} + A, D, PAT: frame`);
          check(archEntryFlags(touched, hi), keptFlags(mode, flags), `${what} + A, D, PAT: flags`);
          checked++;
        }
      }
    }
    expect(mismatches).toEqual([]);
    expect(checked).toBe(mode.leafLevels.length * 26 * 256);
  });

  it('decode every table entry they encode, at every level, and widening only adds rights', () => {
    use(mode);
    const { mismatches, check } = mismatchLog();
    const next = prng(mode.mode * 977 + 1);
    const tableBits = mode.format === 'two-level' ? 20 : 31;
    const frames = [0, topFrame(tableBits, 12), ...Array.from({ length: 64 }, () => randomFrame(next, tableBits, 12))];
    const noise = PTE_PWT | PTE_PCD | PTE_A | PTE_D | PTE_PS | PTE_G;
    for (let level = 2; level <= archLevels(); level++) {
      // a PAE PDPTE carries no right and restricts none
      const paeRoot = mode.mode === PAGING_PAE && level === 3;
      for (const frame of frames) {
        for (const flags of FLAG_COMBOS) {
          const lo = archEncodeTable(frame, level, flags);
          const hi = pairHi;
          const what = `level ${level} frame ${hex(frame)} flags ${hex(flags)} -> ${hexPair(lo, hi)}`;
          if (mode.format === 'two-level') check(hi, 0, `${what}: hi`);
          check(lo & noise, 0, `${what}: PWT, PCD, A, D, PS, G`);
          check(hi & PTE_HI_NX, 0, `${what}: NX`);
          if (paeRoot) check(lo & (PTE_RW | PTE_US), 0, `${what}: RW, US in a PDPTE`);
          check(archEntryPresent(lo, hi), 1, `${what}: present`);
          check(archEntryIsLeaf(level, lo, hi), 0, `${what}: leaf`);
          check(archEntryFrame(level, lo, hi) >>> 0, frame, `${what}: frame`);
          check(archEntryFlags(lo, hi), paeRoot ? PAGE_WRITE | PAGE_USER : pageFlagsForTable(flags), `${what}: flags`);
          check(archEntryFrame(level, lo | PTE_A, hi) >>> 0, frame, `${what} + A: frame`);
          for (const more of [0, PAGE_WRITE, PAGE_USER, PAGE_WRITE | PAGE_USER | PAGE_NO_EXECUTE | PAGE_GLOBAL]) {
            const widenedLo = archTableEntryWiden(lo, hi, more);
            const widenedHi = pairHi;
            const how = `${what} widened by ${hex(more)}`;
            check(archEntryFlags(widenedLo, widenedHi), paeRoot ? PAGE_WRITE | PAGE_USER : pageFlagsForTable(flags | more), `${how}: flags`);
            check(archEntryFrame(level, widenedLo, widenedHi) >>> 0, frame, `${how}: frame`);
            check(widenedHi, hi, `${how}: hi`);
            check(widenedLo & ~(PTE_RW | PTE_US), lo & ~(PTE_RW | PTE_US), `${how}: other bits`);
            if (paeRoot) check(widenedLo, lo, `${how}: PDPTE`);
          }
        }
      }
    }
    expect(mismatches).toEqual([]);
  });

  it('encode no table entry at level 1 (a page table holds only leaves)', () => {
    use(mode);
    expect(archEncodeTable(0x1234, 1, PAGE_WRITE | PAGE_USER)).toBe(0);
    expect(pairHi).toBe(0);
  });

  it('read an empty entry as not present', () => {
    use(mode);
    expect(archEntryPresent(0, 0)).toBe(0);
    expect(archEntryPresent(-2, -1)).toBe(0); // every bit but P
    expect(archEntryPresent(1, 0)).toBe(1);
  });
});

describe('i386 specifics', () => {
  it('two-level entries are 32 bits: hi is 0 on output and ignored on input; NX does not exist', () => {
    use(MODES[1]!);
    for (const frame of [0, 0x12345, 0xfffff]) {
      const plain = archEncodeLeaf(frame, 1, PAGE_WRITE);
      expect(pairHi).toBe(0);
      expect(archEncodeLeaf(frame, 1, PAGE_WRITE | PAGE_NO_EXECUTE)).toBe(plain);
      expect(pairHi).toBe(0);
      for (const hi of [1, -1, PTE_HI_NX, 0x12345]) {
        expect(archEntryFrame(1, plain, hi)).toBe(frame);
        expect(archEntryFlags(plain, hi)).toBe(PAGE_WRITE);
        expect(archEntryIsLeaf(1, plain, hi)).toBe(1);
        expect(archEntryPresent(plain, hi)).toBe(1);
        const table = archEncodeTable(frame, 2, PAGE_USER);
        expect(archTableEntryWiden(table, hi, PAGE_WRITE)).toBe(table | PTE_RW);
        expect(pairHi).toBe(0);
      }
    }
  });

  it('two-level 4 MiB leaves: PSE-36 puts physical bits 32-39 in PDE bits 13-20, bit 12 is PAT', () => {
    use(MODES[1]!);
    // physical 0xAB_C040_0000: bits 22-31 0x301 (0xC04), bits 32-39 0xAB
    const frame = 0xabc0400000 / 4096;
    const pde = archEncodeLeaf(frame, 2, PAGE_WRITE);
    expect(pairHi).toBe(0);
    expect(pde >>> 0).toBe((0xc0400000 | (0xab << 13) | PTE_PS | PTE_RW | PTE_P) >>> 0);
    expect(pde & (1 << 21)).toBe(0); // reserved
    expect(archEntryFrame(2, pde | (1 << 12), 0)).toBe(frame);
    // the top of 1 TiB
    const top = archEncodeLeaf(0x0ffffc00, 2, 0);
    expect(top >>> 0).toBe((0xffc00000 | (0xff << 13) | PTE_PS | PTE_P) >>> 0);
    expect(archEntryFrame(2, top, 0)).toBe(0x0ffffc00);
  });

  it('two-level without CR4.PSE: a PDE with PS is a table pointer, for the backend as for the MMU', () => {
    const mode = MODES[0]!;
    use(mode);
    const machine = machineFor(mode);
    const tables = new BackendTables(machine, 0x100, 0x200);
    const pteAddress = tables.map(0x00800000, 0, 0x4321, 1, PAGE_WRITE);
    const pdeAddress = 0x100 * 4096 + 2 * 4;
    const pde = machine.readPhys32(pdeAddress) | PTE_PS;
    machine.writePhys32(pdeAddress, pde);
    expect(archEntryIsLeaf(2, pde, 0)).toBe(0);
    expect(archEntryFrame(2, pde, 0)).toBe(Math.floor(pteAddress / 4096));
    enablePaging(machine, mode, 0x100);
    expect(machine.translate(0x00800ffc, 0)).toMatchObject({ ok: true, physical: 0x4321ffc, pageShift: 12 });
    // and with PSE the same bits are a leaf
    use(MODES[1]!);
    expect(archEntryIsLeaf(2, pde, 0)).toBe(1);
  });

  it('PAE PDPTEs carry no rights (they are reserved there: #GP), restrict nothing, and are never widened', () => {
    const mode = MODES[3]!;
    use(mode);
    const machine = machineFor(mode);
    const tables = new BackendTables(machine, 0x100, 0x100000);
    tables.map(0x40001000, 0, 0x12345, 1, 0); // kernel read-only first, then wider rights under the same PDPTE
    tables.map(0x40002000, 0, 0x12346, 1, PAGE_WRITE | PAGE_USER);
    tables.map(0x40202000, 0, 0x12347, 1, PAGE_WRITE);
    expect(tables.widened).toEqual([0, 0, 1, 0, 0, 0]); // the PDE was widened, the PDPTE never
    enablePaging(machine, mode, 0x100);
    expect(machine.translate(0x40002ffc, 0, 1, true)).toMatchObject({ ok: true, physical: 0x12346ffc, writable: true, user: true });
    expect(machine.translate(0x40001ffc, 0, 1, false).ok).toBe(false); // read-only leaf under a writable PDE
    const pdpte1 = 0x100 * 4096 + 8;
    const [lo, hi] = machine.readPhys64(pdpte1);
    expect(lo & ~0xfff).toBe(0);
    expect(hi).toBe(1); // the page directory lies above 4 GiB
    expect(lo & 0xfff & ~(1 << 11)).toBe(PTE_P); // P, and bit 11 (ignored by the MMU) marking a PDPTE
    expect(archEntryFrame(3, lo, hi)).toBe(0x100000);
    expect(archEntryFlags(lo, hi)).toBe(PAGE_WRITE | PAGE_USER);
    expect(archTableEntryWiden(lo, hi, PAGE_WRITE | PAGE_USER)).toBe(lo);
    expect(pairHi).toBe(hi);
    // the PDE form (level 2) in a PDPT is refused by the CPU: this is why archEncodeTable takes the level
    const pde = archEncodeTable(0x100000, 2, PAGE_WRITE | PAGE_USER);
    machine.writePhys64(pdpte1, pde, pairHi);
    expect(() => machine.writeCr3(0x100 * 4096, 0)).toThrow(GeneralProtectionError);
    machine.writePhys64(pdpte1, archEncodeTable(0x100000, 3, PAGE_WRITE | PAGE_USER), pairHi);
    machine.writeCr3(0x100 * 4096, 0);
    expect(machine.translate(0x40002ffc, 0)).toMatchObject({ ok: true, physical: 0x12346ffc });
  });

  it('PAE: a changed root entry is seen only after a CR3 load (archRootChangeNeedsReload)', () => {
    const mode = MODES[3]!;
    use(mode);
    expect(archRootChangeNeedsReload()).toBe(1);
    const machine = machineFor(mode);
    const tables = new BackendTables(machine, 0x100, 0x100000);
    tables.map(0x00400000, 0, 0x400, 1, PAGE_WRITE);
    enablePaging(machine, mode, 0x100);
    tables.map(0x80000000 | 0, 0, 0x800, 1, PAGE_WRITE); // a new PDPTE 2 in memory
    expect(machine.translate(0x80000000 | 0, 0).ok).toBe(false);
    machine.writeCr3(0x100 * 4096, 0);
    expect(machine.translate(0x80000ffc | 0, 0)).toMatchObject({ ok: true, physical: 0x800ffc });
  });

  it('PAE without FEATURE_NX never sets bit 63 (reserved while EFER.NXE is clear)', () => {
    use(MODES[2]!);
    for (const level of [1, 2]) {
      archEncodeLeaf(0x200, level, PAGE_NO_EXECUTE | PAGE_WRITE);
      expect(pairHi).toBe(0);
    }
    use(MODES[3]!);
    archEncodeLeaf(0x200, 1, PAGE_NO_EXECUTE);
    expect(pairHi).toBe(PTE_HI_NX);
  });
});

// ---------------------------------------------------------------------------------------------
// Hierarchies built with the encoders, walked by the MMU
// ---------------------------------------------------------------------------------------------

describe.each(MODES)('$name: the MMU translates what the encoders build', (mode) => {
  it('every allowed leaf size, every flag combination, exact frames and rights', () => {
    use(mode);
    const machine = machineFor(mode);
    const rootFrame = 0x100;
    const tables = new BackendTables(machine, rootFrame, mode.tablesAbove4G ? 0x100000 : 0x200);
    const next = prng(mode.mode * 7 + mode.features * 3);
    interface Mapped {
      linear: bigint;
      frame: number;
      level: number;
      flags: number;
      entry: number;
    }
    const mapped: Mapped[] = [];
    for (const level of mode.leafLevels) {
      expect(archLeafAllowed(level)).toBe(1);
      const shift = archLevelShift(level);
      const size = 2n ** BigInt(shift);
      const bits = mode.frameBits[level]!;
      const base = leafBase(mode, level);
      FLAG_COMBOS.forEach((flags, i) => {
        const linear = base + BigInt(i) * size;
        let frame = randomFrame(next, bits, shift);
        if (i === 0) frame = 0;
        if (i === 1) frame = topFrame(bits, shift);
        if (i === 2 && bits > 20) frame = 2 ** 20; // exactly 4 GiB
        const [lo, hi] = toPair(linear);
        mapped.push({ linear, frame, level, flags, entry: tables.map(lo, hi, frame, level, flags) });
      });
    }
    enablePaging(machine, mode, rootFrame);

    for (const { linear, frame, level, flags, entry } of mapped) {
      const shift = archLevelShift(level);
      const what = `${hex(linear)} -> frame ${hex(frame)}, level ${level}, flags ${hex(flags)}`;
      for (const offset of [0, 2 ** shift - 4, (2 ** shift / 2) | 0x124]) {
        const [lo, hi] = toPair(linear + BigInt(offset));
        const result = machine.translate(lo, hi);
        expect(result, what).toMatchObject({
          ok: true,
          physical: frame * 4096 + offset,
          pageShift: shift,
          writable: (flags & PAGE_WRITE) !== 0,
          user: (flags & PAGE_USER) !== 0,
          nx: mode.nx && (flags & PAGE_NO_EXECUTE) !== 0,
          global: mode.global && (flags & PAGE_GLOBAL) !== 0,
        });
      }
      // caching, global and software bits are in the leaf exactly as asked
      const [entryLo, entryHi] = tables.read(entry);
      expect((entryLo & PTE_PWT) !== 0, what).toBe((flags & PAGE_WRITE_THROUGH) !== 0);
      expect((entryLo & PTE_PCD) !== 0, what).toBe((flags & PAGE_UNCACHED) !== 0);
      expect((entryLo & PTE_G) !== 0, what).toBe((flags & PAGE_GLOBAL) !== 0 && (mode.features & FEATURE_GLOBAL_PAGES) !== 0);
      expect((entryLo & (1 << 9)) !== 0, what).toBe((flags & PAGE_FOREIGN) !== 0);
      expect((entryLo & (1 << 10)) !== 0, what).toBe((flags & PAGE_IO) !== 0);
      expect((entryHi & PTE_HI_NX) !== 0, what).toBe(mode.nx && (flags & PAGE_NO_EXECUTE) !== 0);
      expect(archEntryFrame(level, entryLo, entryHi) >>> 0, what).toBe(frame);
      expect(archEntryFlags(entryLo, entryHi), what).toBe(keptFlags(mode, flags));
    }

    // nothing else is mapped, and user-mode rights agree with the page flags
    const leaves = machine.listMappings();
    expect(leaves.length).toBe(mapped.length);
    expect(leaves.every((leaf) => !leaf.reserved)).toBe(true);
    const byLinear = new Map(mapped.map((m) => [m.linear, m]));
    for (const leaf of leaves) {
      const m = byLinear.get(leaf.linear)!;
      expect(m, hex(leaf.linear)).toBeDefined();
      expect(leaf.physical).toBe(m.frame * 4096);
      expect(leaf.size).toBe(2 ** archLevelShift(m.level));
    }
    for (const { linear, flags } of mapped) {
      const [lo, hi] = toPair(linear);
      expect(machine.translate(lo, hi, 1, true).ok).toBe((flags & PAGE_USER) !== 0 && (flags & PAGE_WRITE) !== 0);
      expect(machine.translate(lo, hi, 2, false).ok).toBe(!(mode.nx && (flags & PAGE_NO_EXECUTE) !== 0));
    }
  });

  it('PAT in a leaf (bit 12 of a large page, bit 7 of a 4 KiB page) is no frame bit, for the backend as for the MMU', () => {
    use(mode);
    const machine = machineFor(mode);
    const tables = new BackendTables(machine, 0x100, mode.tablesAbove4G ? 0x100000 : 0x200);
    const entries: Array<[bigint, number, number, number]> = [];
    for (const level of mode.leafLevels) {
      const shift = archLevelShift(level);
      const frame = topFrame(mode.frameBits[level]!, shift);
      const linear = leafBase(mode, level);
      const [lo, hi] = toPair(linear);
      entries.push([linear, frame, level, tables.map(lo, hi, frame, level, PAGE_WRITE)]);
    }
    for (const [, , level, entry] of entries) {
      const [lo, hi] = tables.read(entry);
      tables.write(entry, lo | (level === 1 ? 1 << 7 : 1 << 12), hi);
    }
    enablePaging(machine, mode, 0x100);
    for (const [linear, frame, level, entry] of entries) {
      const [lo, hi] = toPair(linear + 8n);
      expect(machine.translate(lo, hi)).toMatchObject({ ok: true, physical: frame * 4096 + 8, pageShift: archLevelShift(level) });
      const [entryLo, entryHi] = tables.read(entry);
      expect(archEntryFrame(level, entryLo, entryHi) >>> 0).toBe(frame);
      expect(archEntryIsLeaf(level, entryLo, entryHi)).toBe(1);
      expect(archEntryFlags(entryLo, entryHi)).toBe(PAGE_WRITE);
    }
  });

  it('after the MMU set A and D, the decoders still read the same frames and flags', () => {
    use(mode);
    const machine = machineFor(mode);
    const tables = new BackendTables(machine, 0x100, mode.tablesAbove4G ? 0x100000 : 0x200);
    const flags = PAGE_WRITE | PAGE_UNCACHED;
    const frame = 0x800; // 8 MiB: aligned for 4 KiB, 2 MiB and 4 MiB pages
    const leaves = mode.leafLevels
      .filter((level) => archLevelShift(level) <= 22)
      .map((level) => {
        const [lo, hi] = toPair(leafBase(mode, level));
        return { level, lo, hi, entry: tables.map(lo, hi, frame, level, flags) };
      });
    enablePaging(machine, mode, 0x100);
    for (const { level, lo, hi, entry } of leaves) {
      machine.write32(lo, hi, 5);
      const [entryLo, entryHi] = tables.read(entry);
      expect(entryLo & (PTE_A | PTE_D)).toBe(PTE_A | PTE_D);
      expect(archEntryIsLeaf(level, entryLo, entryHi)).toBe(1);
      expect(archEntryFrame(level, entryLo, entryHi)).toBe(frame);
      expect(archEntryFlags(entryLo, entryHi)).toBe(flags);
    }
    expect(machine.readPhys32(frame * 4096)).toBe(5);
  });
});

// ---------------------------------------------------------------------------------------------
// archIndexOf / archLevelShift against the machine's walk
// ---------------------------------------------------------------------------------------------

/** A random linear address of the mode's address space (canonical in long mode), page-aligned to `shift`. */
const randomLinear = (next: () => number, mode: ModeCase, shift: number): bigint => {
  const bits = SHAPES[mode.format].addressBits;
  const raw = ((BigInt(next()) << 32n) | BigInt(next())) & ((1n << BigInt(bits)) - 1n);
  const aligned = raw & ~((1n << BigInt(shift)) - 1n);
  return bits === 32 ? aligned : BigInt.asUintN(64, BigInt.asIntN(bits, aligned));
};

describe.each(MODES)('$name: indices and shifts agree with the MMU', (mode) => {
  it('archIndexOf is the address bits [shift, shift + log2(entries)) at every level', () => {
    use(mode);
    const next = prng(mode.mode + 99);
    for (let i = 0; i < 3000; i++) {
      const linear = randomLinear(next, mode, 0);
      const [lo, hi] = toPair(linear);
      for (let level = 1; level <= archLevels(); level++) {
        const expected = Number((linear >> BigInt(archLevelShift(level))) & BigInt(archTableEntries(level) - 1));
        expect(archIndexOf(level, lo, hi), `${hex(linear)} level ${level}`).toBe(expected);
      }
    }
  });

  it('a walk by the backend decoders of tables built independently (PageTableBuilder) finds what the MMU finds', () => {
    use(mode);
    const machine = machineFor(mode);
    const builder = new PageTableBuilder(machine, mode.format, framesFrom(0x100));
    const next = prng(mode.mode * 5 + 3);
    const linears: bigint[] = [];
    // one page per slot of the largest leaf size, so that no two pages overlap
    const slotShift = BigInt(archLevelShift(mode.leafLevels[mode.leafLevels.length - 1]!));
    const slots = new Set<bigint>();
    for (const level of mode.leafLevels) {
      const shift = archLevelShift(level);
      for (let i = 0; i < 60; i++) {
        const linear = randomLinear(next, mode, shift);
        if (slots.has(linear >> slotShift)) continue;
        slots.add(linear >> slotShift);
        linears.push(linear);
        const frame = randomFrame(next, mode.frameBits[level]!, shift);
        builder.map(linear, frame * 4096, { size: 2 ** shift, flags: PTE_P | PTE_RW | (i % 2 === 0 ? PTE_US : 0) });
      }
    }
    expect(linears.length).toBeGreaterThan(20);
    enablePaging(machine, mode, builder.root / 4096);
    const entryBytes = 1 << archEntryShift();
    const read = (address: number): [number, number] =>
      entryBytes === 4 ? [machine.readPhys32(address), 0] : machine.readPhys64(address);
    for (const linear of linears) {
      for (const offset of [0n, 0xff8n]) {
        const [lo, hi] = toPair(linear + offset);
        // the backend's own walk
        let table = builder.root / 4096;
        let physical = -1;
        let pageShift = 0;
        for (let level = archLevels(); level >= 1; level--) {
          const [entryLo, entryHi] = read(table * 4096 + archIndexOf(level, lo, hi) * entryBytes);
          expect(archEntryPresent(entryLo, entryHi)).toBe(1);
          const frame = archEntryFrame(level, entryLo, entryHi) >>> 0;
          if (archEntryIsLeaf(level, entryLo, entryHi) === 1) {
            pageShift = archLevelShift(level);
            physical = frame * 4096 + Number((linear + offset) & ((1n << BigInt(pageShift)) - 1n));
            break;
          }
          table = frame;
        }
        expect(machine.translate(lo, hi), hex(linear + offset)).toMatchObject({ ok: true, physical, pageShift });
      }
    }
  });
});
