/*
 * The third way to reach page tables: the recursive self-map (table-access.ts,
 * TABLES_RECURSIVE), in x86-64 4- and 5-level mode (PML4[510] / PML5[510]) and i386 two-level mode
 * (PDE[1023]), on the emulated MMU:
 *
 *  - the same region work through the self-map and through the direct map builds the very same
 *    page tables (entries compared bit for bit, the A and D bits aside: the MMU sets D in an entry
 *    it used as a leaf for a write through the self-map) and the same MMU view, frame for frame;
 *  - only linked tables of the root in CR3 are reached through the self-map: another root (a user
 *    space being built, the kernel's root while a user root is loaded) and tables not linked yet
 *    (zeroed before linking, split tables being filled) go through the temporary slots;
 *  - the self-map's own TLB entries are invalidated when the entry that links a table changes,
 *    before the walk goes on and before the old table is freed (a test that fails without it);
 *  - the self-map entry is per root, supervisor-only, NX, not global, left out of the kernel
 *    template, and its window is refused by allocRegion, freeRegion and findFreeRegion.
 */
import { describe, expect, it } from 'vitest';
import { setUpRecursiveX86_64, setUpRecursiveI386, type RecursiveSetup, type TablesStrategy } from '../support/recursive-setup.ts';
import { allocRegion, freeRegion, isRegionFree, findFreeRegion, mapLinearToPhysical, allocKernelRegion, resizeRegion } from '../../src/region/regions.ts';
import { mapIOMemory, unmapIOMemory } from '../../src/region/io-mappings.ts';
import { REGION_COMMIT, REGION_READWRITE, REGION_USER, REGION_UC, REGION_IO, REGION_AT_OR_OVER } from '../../src/region/region-flags.ts';
import { frameFreeCount, frameIsFree } from '../../src/memory/frame-bitmap.ts';
import { pairHi } from '../../src/int64/pair.ts';
import {
  TABLES_RECURSIVE,
  tableAccessStrategy,
  tableSelfMapVisits,
  tableSelfMapSlotVisits,
  tableSelfMapInvalidations,
  tableSelfMapTableAddress,
  tableSelfMapSet,
  tableSelfMapIndex,
} from '../../src/paging/table-access.ts';
import { addressSpaceCreate, addressSpaceRelease } from '../../src/paging/address-spaces.ts';
import { walkTranslate, walkTranslatedFrame } from '../../src/paging/walker.ts';
import { archLevels, archSelfMapIndex, archPagingInit } from '../../src/paging/backend.ts';
import { PAGING_PAE } from '../../src/paging/paging-modes.ts';
import * as E from '../../src/errors.ts';

type Mode = '4-level' | '5-level' | 'two-level';
const MODES: Mode[] = ['4-level', '5-level', 'two-level'];

const setUp = (mode: Mode, strategy: TablesStrategy): RecursiveSetup =>
  mode === 'two-level' ? setUpRecursiveI386(strategy) : setUpRecursiveX86_64(mode === '4-level' ? 4 : 5, strategy);

const wide = (mode: Mode): boolean => mode !== 'two-level';
const u64 = (lo: number, hi: number): bigint => (BigInt(hi >>> 0) << 32n) | BigInt(lo >>> 0);
const A_D = 0x60;

/** Every present entry of the hierarchy under `root` (A/D masked), the self-map entry and the slot table's entries aside. */
const dumpTables = (s: RecursiveSetup, mode: Mode, root: number): string[] => {
  const out: string[] = [];
  const entryBytes = wide(mode) ? 8 : 4;
  const entries = wide(mode) ? 512 : 1024;
  const levels = mode === '5-level' ? 5 : mode === '4-level' ? 4 : 2;
  const visit = (table: number, level: number, path: string): void => {
    if (table === s.slotTable) return;
    for (let i = 0; i < entries; i++) {
      if (level === levels && i === tableSelfMapIndex()) continue;
      const at = table * 4096 + i * entryBytes;
      const lo = s.machine.readPhys32(at);
      const hi = wide(mode) ? s.machine.readPhys32(at + 4) : 0;
      if ((lo & 1) === 0) continue;
      out.push(`${path}/${i}:${(hi >>> 0).toString(16)}:${((lo & ~A_D) >>> 0).toString(16)}`);
      const leaf = level === 1 || (lo & 0x80) !== 0;
      if (!leaf) visit(wide(mode) ? Number(((BigInt(hi & 0xfffff) << 32n) | BigInt(lo >>> 0)) >> 12n) : lo >>> 12, level - 1, `${path}/${i}`);
    }
  };
  visit(root, levels, `L${levels}`);
  return out;
};

/** The MMU's view of the loaded root, without the self-map and slot windows. */
const mmuView = (s: RecursiveSetup, mode: Mode): string[] => {
  const self = u64(s.selfLo, s.selfHi);
  const span = 1n << (mode === '5-level' ? 48n : mode === '4-level' ? 39n : 22n);
  const slots = u64(s.slotsLo, s.slotsHi);
  return s.machine
    .listMappings()
    .filter((m) => !(m.linear >= self && m.linear < self + span) && !(m.linear >= slots && m.linear < slots + 8n * 4096n))
    .map((m) => `${m.linear.toString(16)}>${m.physical.toString(16)}:${m.size}:${m.writable}${m.user}${m.nx}${m.global}`);
};

const RW = REGION_COMMIT | REGION_READWRITE;
const RW_USER = RW | REGION_USER;

/**
 * Region work in the kernel space and a user space, with the kernel's root and then the user's
 * loaded: small and large pages, splits, resizes, I/O, translations, searches. Returns every
 * result (and pairHi) and snapshots of both hierarchies and of the MMU view along the way.
 */
const workload = (s: RecursiveSetup, mode: Mode): { log: string[]; stale: number } => {
  const log: string[] = [];
  let stale = 0;
  const rec = (what: string, value: number): number => {
    log.push(`${what}=${value}:${pairHi}`);
    return value;
  };
  const snap = (what: string): void => {
    log.push(`${what} free=${frameFreeCount()}`);
    log.push(...dumpTables(s, mode, s.kernelRoot).map((e) => `${what} K ${e}`));
    log.push(...dumpTables(s, mode, s.userRoot).map((e) => `${what} U ${e}`));
    log.push(...mmuView(s, mode).map((e) => `${what} M ${e}`));
    stale += s.machine.staleTlbEntries().length;
  };
  const large = mode === 'two-level' ? 4 << 20 : 2 << 20;
  // the kernel's root loaded: kernel work through the self-map, user work through the slots
  // read-only first: the tables it creates are then written through the entries that link them
  const ro = rec('ro', allocKernelRegion(0, 0, 4096, 0, REGION_COMMIT));
  const roHi = pairHi;
  rec('ro-write', s.machine.probe(ro, roHi, 1, false));
  const a = rec('a', allocKernelRegion(0, 0, 16 * 4096, 0, RW));
  const aHi = pairHi;
  const big = rec('big', allocKernelRegion(0, 0, 2 * large, 0, RW));
  const bigHi = pairHi;
  rec('split', freeRegion((big + large - 4096) | 0, bigHi, 4096, 0));
  rec('translate', mapLinearToPhysical((big + 8192) | 0, bigHi));
  rec('find', findFreeRegion(s.kernelRegionsLo, s.kernelRegionsHi, 1 << 20, 0));
  const user = rec('user', allocRegion(0x10000000, 0, 0, 0, 20 * 4096, 0, RW_USER));
  const userBig = rec('userBig', allocRegion(0, 0, 0, 0, 2 * large, 0, RW_USER));
  rec('userSplit', freeRegion((userBig + 4096) | 0, 0, 4096, 0));
  snap('kernel-loaded');
  // the user's root loaded: user work through the self-map, kernel work through the slots
  s.machine.writeCr3(s.userRoot * 4096, 0);
  rec('roUser', allocRegion(0x50000000, 0, 0, 0, 4096, 0, REGION_COMMIT | REGION_USER));
  rec('roUser2', allocRegion(0x50001000, 0, 0, 0, 4096, 0, RW_USER));
  rec('user2', allocRegion(0x20000000, 0, 0, 0, 600 * 4096, 0, RW_USER));
  rec('user2free', freeRegion(0x20000000 + 100 * 4096, 0, 300 * 4096, 0));
  rec('resize', resizeRegion(user, 0, 0, 0, 20 * 4096, 0, 40 * 4096, 0, RW_USER));
  const k2 = rec('k2', allocKernelRegion(0, 0, 3 * 4096, 0, RW));
  const k2Hi = pairHi;
  rec('k2free', freeRegion(k2, k2Hi, 3 * 4096, 0));
  rec('userFree', freeRegion(user, 0, 40 * 4096, 0));
  snap('user-loaded');
  s.machine.writeCr3(s.kernelRoot * 4096, 0);
  const io = rec('io', mapIOMemory(0xfee00020 | 0, 0, 0x20, 0, REGION_UC));
  const ioHi = pairHi;
  rec('a-free', freeRegion(a, aHi, 16 * 4096, 0));
  rec('ro-free', freeRegion(ro, roHi, 4096, 0));
  rec('big-free1', freeRegion(big, bigHi, large - 4096, 0));
  rec('big-free2', freeRegion((big + large) | 0, bigHi, large, 0));
  rec('unmapIO', unmapIOMemory(io, ioHi, 0x20, 0));
  rec('fixed', allocKernelRegion(0x00300000, 0, 4096, 0, RW | REGION_IO));
  log.push(`isFree=${isRegionFree(a, aHi, 4096, 0)}`); // a flag: its pairHi means nothing
  snap('end');
  return { log, stale };
};

describe.each(MODES)('recursive self-map, %s', (mode) => {
  it('gives the same page tables, MMU view, results and frames as the direct map', () => {
    const direct = workload(setUp(mode, 'direct'), mode);
    const s = setUp(mode, 'recursive');
    expect(tableAccessStrategy()).toBe(TABLES_RECURSIVE);
    const visits = tableSelfMapVisits();
    const slots = tableSelfMapSlotVisits();
    const recursive = workload(s, mode);
    expect(recursive.log).toEqual(direct.log);
    expect(recursive.stale).toBe(0);
    expect(direct.stale).toBe(0);
    expect(tableSelfMapVisits() - visits).toBeGreaterThan(100);
    expect(tableSelfMapSlotVisits() - slots).toBeGreaterThan(0);
    expect(s.machine.staleTlbEntries()).toEqual([]);
  });

  it('reaches the loaded root and its linked tables through the self-map, nothing else', () => {
    const s = setUp(mode, 'recursive');
    const levels = archLevels();
    // the root itself, as the self-map shows it
    const rootLo = tableSelfMapTableAddress(levels, 0x10000000, 0);
    const rootHi = pairHi;
    const t = s.machine.translate(rootLo, rootHi);
    expect(t.ok && t.physical === s.kernelRoot * 4096).toBe(true);
    // a kernel region: every table on its path is visited through the self-map, only new ones are zeroed through a slot
    const visits = tableSelfMapVisits();
    const slots = tableSelfMapSlotVisits();
    const base = allocKernelRegion(0, 0, 4096, 0, RW);
    const baseHi = pairHi;
    expect(E.isErrorCode(base)).toBe(0);
    const created = mode === 'two-level' ? 0 : levels - 2; // PD and PT (and PDPT in 5-level mode) under a pinned table
    expect(tableSelfMapSlotVisits() - slots).toBe(created);
    expect(tableSelfMapVisits() - visits).toBeGreaterThan(0);
    // the page table that maps it, through the self-map, is the frame the walker linked
    const tableLo = tableSelfMapTableAddress(1, base, baseHi);
    const tableHi = pairHi;
    const table = s.machine.translate(tableLo, tableHi);
    walkTranslate(s.kernelRoot, base, baseHi);
    const entry = s.machine.readPhys32(table.ok ? table.physical + ((base >>> 12) & (mode === 'two-level' ? 1023 : 511)) * (mode === 'two-level' ? 4 : 8) : 0);
    expect(entry >>> 12).toBe(walkTranslatedFrame());
    // the user space, not loaded: all through the slots
    const before = tableSelfMapVisits();
    expect(allocRegion(0x10000000, 0, 0, 0, 3 * 4096, 0, RW_USER)).toBe(0x10000000);
    expect(tableSelfMapVisits()).toBe(before);
    // the user space loaded: the kernel's root goes through the slots, the user's through the self-map
    s.machine.writeCr3(s.userRoot * 4096, 0);
    const kernelBefore = tableSelfMapVisits();
    expect(freeRegion(base, baseHi, 4096, 0)).toBe(E.ERR_NONE);
    expect(tableSelfMapVisits()).toBe(kernelBefore);
    expect(freeRegion(0x10000000, 0, 3 * 4096, 0)).toBe(E.ERR_NONE);
    expect(tableSelfMapVisits()).toBeGreaterThan(kernelBefore);
    expect(s.machine.staleTlbEntries()).toEqual([]);
  });

  it('keeps the self-map entry per root: its own frame, supervisor-only, NX, not global, not in the template', () => {
    const s = setUp(mode, 'recursive');
    const index = archSelfMapIndex();
    const entryBytes = wide(mode) ? 8 : 4;
    for (const root of [s.kernelRoot, s.userRoot]) {
      const lo = s.machine.readPhys32(root * 4096 + index * entryBytes);
      const hi = wide(mode) ? s.machine.readPhys32(root * 4096 + index * entryBytes + 4) : 0;
      expect(lo & 1).toBe(1); // present
      expect(lo & 2).toBe(2); // writable
      expect(lo & 4).toBe(0); // supervisor-only
      expect(lo & 0x180).toBe(0); // no PS, no G
      expect(lo >>> 12).toBe(root);
      if (wide(mode)) expect(hi >>> 31).toBe(1); // NX
    }
    // user mode cannot read a table through it
    s.machine.writeCr3(s.userRoot * 4096, 0);
    const lo = tableSelfMapTableAddress(archLevels(), 0, 0);
    expect(s.machine.probe(lo, pairHi, 0, true)).toBe(5); // present, user
    expect(s.machine.probe(lo, pairHi, 0, false)).toBe(-1);
    if (wide(mode)) expect(s.machine.probe(lo, pairHi, 2, false)).toBe(0x11); // NX fetch
    // a released root goes without following its self-map entry
    s.machine.writeCr3(s.kernelRoot * 4096, 0);
    const free = frameFreeCount();
    const another = addressSpaceCreate();
    expect(another).toBeGreaterThan(0);
    expect(addressSpaceRelease(another)).toBe(E.ERR_NONE);
    expect(frameFreeCount()).toBe(free);
    expect(frameIsFree(s.kernelRoot)).toBe(0);
  });

  it('refuses the self-map and slot windows to allocRegion, freeRegion and findFreeRegion', () => {
    const s = setUp(mode, 'recursive');
    const free = frameFreeCount();
    expect(isRegionFree(s.selfLo, s.selfHi, 4096, 0)).toBe(0);
    expect(E.isErrorCode(allocRegion(s.selfLo, s.selfHi, 0, 0, 4096, 0, RW))).toBe(1);
    expect(freeRegion(s.selfLo, s.selfHi, 4096, 0)).toBe(E.ERR_PERMISSION);
    expect(freeRegion(s.slotsLo, s.slotsHi, 4096, 0)).toBe(E.ERR_PERMISSION);
    expect(E.isErrorCode(allocRegion(s.slotsLo, s.slotsHi, 0, 0, 4096, 0, RW))).toBe(1);
    // a search from just below the slot window lands after it
    const slotsAt = u64(s.slotsLo, s.slotsHi);
    const found = findFreeRegion((s.slotsLo - 8192) | 0, s.slotsHi, 16384, 0);
    expect(u64(found, pairHi)).toBe(slotsAt + 8n * 4096n);
    // a search from just below the self-map window lands after it (two-level: nothing is left above it)
    const selfAt = u64(s.selfLo, s.selfHi);
    const selfEnd = selfAt + (1n << (mode === '5-level' ? 48n : mode === '4-level' ? 39n : 22n));
    const fromLo = (s.selfLo - 8192) | 0;
    const fromHi = s.selfLo === 0 ? s.selfHi - 1 : s.selfHi;
    const beyond = findFreeRegion(fromLo, fromHi, 16384, 0);
    if (mode === 'two-level') expect(E.isErrorCode(beyond)).toBe(1);
    else expect(u64(beyond, pairHi)).toBe(selfEnd);
    const placed = allocRegion(fromLo, fromHi, 0, 0, 16384, 0, RW | REGION_AT_OR_OVER);
    if (mode === 'two-level') expect(E.isErrorCode(placed)).toBe(1);
    else {
      expect(u64(placed, pairHi)).toBe(selfEnd);
      expect(freeRegion(placed, pairHi, 16384, 0)).toBe(E.ERR_NONE);
    }
    // a region right below the self-map window cannot grow into it
    const below = allocRegion(fromLo, fromHi, 0, 0, 8192, 0, RW);
    expect(u64(below, pairHi)).toBe(selfAt - 8192n);
    expect(E.isErrorCode(resizeRegion(fromLo, fromHi, 0, 0, 8192, 0, 16384, 0, RW))).toBe(1);
    expect(freeRegion(fromLo, fromHi, 16384, 0)).not.toBe(E.ERR_NONE);
    expect(freeRegion(fromLo, fromHi, 8192, 0)).toBe(E.ERR_NONE);
    expect(frameFreeCount()).toBe(free);
    const rootLo = tableSelfMapTableAddress(archLevels(), 0, 0);
    const t = s.machine.translate(rootLo, pairHi);
    expect(t.ok && t.physical === s.kernelRoot * 4096).toBe(true); // still the self-map
  });

  it('invalidates the self-map address of a split large page before the walk goes through it', () => {
    const s = setUp(mode, 'recursive');
    const large = mode === 'two-level' ? 4 << 20 : 2 << 20;
    // a user region of large pages in the loaded user space (two-level kernel space has no large leaves)
    s.machine.writeCr3(s.userRoot * 4096, 0);
    const base = allocRegion(0x40000000, 0, 0, 0, large, 0, RW_USER);
    expect(base).toBe(0x40000000);
    walkTranslate(s.userRoot, base, 0);
    const first = walkTranslatedFrame();
    // the CPU may cache the self-map's view of the large leaf (as a 4 KiB page of its data) at any time
    const tableLo = tableSelfMapTableAddress(1, base, 0);
    const tableHi = pairHi;
    expect(s.machine.read32(tableLo, tableHi)).toBe(s.machine.readPhys32(first * 4096));
    const invalidations = tableSelfMapInvalidations();
    // freeing one page splits the leaf: the new page table must be reached, not the stale data page
    expect(freeRegion(base + 4096, 0, 4096, 0)).toBe(E.ERR_NONE);
    expect(tableSelfMapInvalidations()).toBeGreaterThan(invalidations);
    expect(s.machine.translate(base + 4096, 0).ok).toBe(false);
    const rest = s.machine.translate(base + 8192, 0);
    expect(rest.ok && rest.physical === (first + 2) * 4096).toBe(true);
    expect(s.machine.readPhys32(first * 4096)).toBe(0); // the data page was not written as a table
    expect(s.machine.staleTlbEntries()).toEqual([]);
  });

  it('invalidates the self-map address of a released table before the table is freed', () => {
    const s = setUp(mode, 'recursive');
    // a user region in the loaded user space (two-level kernel page tables are pinned, never released)
    s.machine.writeCr3(s.userRoot * 4096, 0);
    const base = allocRegion(0x30000000, 0, 0, 0, 4096, 0, RW_USER);
    const baseHi = pairHi;
    expect(base).toBe(0x30000000);
    const tableLo = tableSelfMapTableAddress(1, base, baseHi);
    const tableHi = pairHi;
    const seen = s.machine.translate(tableLo, tableHi);
    expect(seen.ok).toBe(true);
    const tableFrame = seen.ok ? seen.physical / 4096 : -1;
    s.machine.read32(tableLo, tableHi); // in the TLB now
    const invalidated: { address: bigint; tableFree: number }[] = [];
    const original = s.machine.invlpg.bind(s.machine);
    s.machine.invlpg = (lo: number, hi: number) => {
      invalidated.push({ address: u64(lo, hi), tableFree: frameIsFree(tableFrame) });
      original(lo, hi);
    };
    expect(freeRegion(base, baseHi, 4096, 0)).toBe(E.ERR_NONE);
    s.machine.invlpg = original;
    const mine = invalidated.find((k) => k.address === u64(tableLo, tableHi));
    expect(mine).toBeDefined();
    expect(mine?.tableFree).toBe(0); // invalidated while the frame was still the manager's
    expect(frameIsFree(tableFrame)).toBe(1);
    expect(s.machine.translateViaTlb(tableLo, tableHi).ok).toBe(false);
  });
});

describe.each(['4-level', '5-level'] as Mode[])('recursive self-map, %s, the kernel root while a user root is loaded', (mode) => {
  it('walks the kernel root through the slots and still invalidates the shared tables\' self-map addresses', () => {
    const s = setUp(mode, 'recursive');
    const base = allocKernelRegion(0, 0, 4096, 0, RW); // its page directory and page table are new, not pinned
    const baseHi = pairHi;
    s.machine.writeCr3(s.userRoot * 4096, 0);
    // the kernel's tables are shared: the user root's self-map shows the same page table
    const tableLo = tableSelfMapTableAddress(1, base, baseHi);
    const tableHi = pairHi;
    const seen = s.machine.translate(tableLo, tableHi);
    expect(seen.ok).toBe(true);
    const tableFrame = seen.ok ? seen.physical / 4096 : -1;
    s.machine.read32(tableLo, tableHi); // in the TLB now
    const invalidated: { address: bigint; tableFree: number }[] = [];
    const original = s.machine.invlpg.bind(s.machine);
    s.machine.invlpg = (lo: number, hi: number) => {
      invalidated.push({ address: u64(lo, hi), tableFree: frameIsFree(tableFrame) });
      original(lo, hi);
    };
    const visits = tableSelfMapVisits();
    expect(freeRegion(base, baseHi, 4096, 0)).toBe(E.ERR_NONE);
    s.machine.invlpg = original;
    expect(tableSelfMapVisits()).toBe(visits); // the kernel's root is not loaded: slots only
    const mine = invalidated.find((k) => k.address === u64(tableLo, tableHi));
    expect(mine?.tableFree).toBe(0);
    expect(frameIsFree(tableFrame)).toBe(1);
    expect(s.machine.translateViaTlb(tableLo, tableHi).ok).toBe(false);
    expect(s.machine.staleTlbEntries()).toEqual([]);
  });
});

describe('recursive self-map, refusals', () => {
  it('PAE has no self-map index (ERR_UNSUPPORTED), and the strategy needs its set-up', () => {
    setUpRecursiveI386('direct');
    archPagingInit(PAGING_PAE, 0);
    expect(archSelfMapIndex()).toBe(E.ERR_UNSUPPORTED);
    expect(tableSelfMapSet(archSelfMapIndex())).toBe(E.ERR_UNSUPPORTED);
  });
});
