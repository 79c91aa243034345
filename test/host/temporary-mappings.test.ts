/*
 * Temporary mappings, checked through the emulated MMU in every entry format: a slot really maps
 * the frame it was given, ownership is explicit, re-mapping the same frame costs nothing, a new
 * frame costs exactly one invlpg, and the software TLB never holds a stale slot.
 */
import { beforeEach, describe, expect, it } from 'vitest';
import { PTE_P, PTE_RW, type TableFormat } from '../machine/index.ts';
import { pagedMachine, type PagedMachine } from '../support/paged-machine.ts';
import {
  mapTemporaryPhysicalPage,
  temporaryMappingsConfigure,
  temporaryMappingsDropAll,
  temporarySlotCount,
  temporarySlotFrame,
  temporarySlotsHeld,
  unmapTemporaryPhysicalPage,
} from '../../src/memory/temporary-mappings.ts';
import { pairHi } from '../../src/int64/pair.ts';
import {
  ERR_INVALID_ARGUMENT,
  ERR_NONE,
  ERR_NOT_INITIALISED,
  ERR_OUT_OF_RANGE,
  ERR_SLOT_BUSY,
  ERR_SLOT_INVALID,
  ERR_SLOT_NOT_HELD,
} from '../../src/errors.ts';

const SLOTS = 6;
/** The window: 0x00C00000 (low half) or 0xFFFFFFFF_FFC00000 (higher half, x86-64). */
const windowFor = (format: TableFormat): { lo: number; hi: number; linear: bigint } =>
  format === 'four-level' || format === 'five-level'
    ? { lo: 0xffc00000 | 0, hi: -1, linear: 0xffffffffffc00000n }
    : { lo: 0x00c00000, hi: 0, linear: 0xc00000n };

describe.each<TableFormat>(['two-level', 'pae', 'four-level', 'five-level'])('temporary mappings, %s', (format) => {
  let paged: PagedMachine;
  const window = windowFor(format);
  const entryBytes = format === 'two-level' ? 4 : 8;
  const slotLinear = (slot: number): bigint => window.linear + BigInt(slot * 4096);
  // frames with a recognisable word at offset 0
  const frameWithTag = (frame: number): number => {
    paged.machine.writePhys32(frame * 4096, 0x7a900000 | frame);
    return frame;
  };

  beforeEach(() => {
    paged = pagedMachine(format, { ramBytes: 8 * 2 ** 30 });
    // the window's page table exists; its entries are reached at their identity address
    const firstEntry = paged.builder.entryAddress(window.linear, paged.builder.levels.length - 1);
    expect(
      temporaryMappingsConfigure(SLOTS, window.lo, window.hi, firstEntry, 0, entryBytes, PTE_P | PTE_RW, 0),
    ).toBe(ERR_NONE);
    paged.machine.resetCounters();
  });

  it('maps a frame at its slot, as the MMU sees it', () => {
    const frame = frameWithTag(0x1234);
    const lo = mapTemporaryPhysicalPage(2, frame);
    expect([lo, pairHi]).toEqual([(window.lo + 2 * 4096) | 0, window.hi]);
    const seen = paged.machine.translate(lo, window.hi, 0, false);
    expect(seen).toMatchObject({ ok: true });
    expect(paged.machine.read32(lo, window.hi)).toBe(0x7a900000 | frame);
    expect(temporarySlotFrame(2)).toBe(frame);
    expect(temporarySlotsHeld()).toBe(1 << 2);
  });

  it('uses every slot at once, each with its own frame', () => {
    for (let slot = 0; slot < SLOTS; slot++) {
      expect(mapTemporaryPhysicalPage(slot, frameWithTag(0x3000 + slot))).toBe(Number(slotLinear(slot) & 0xffffffffn) | 0);
    }
    for (let slot = 0; slot < SLOTS; slot++) {
      const lo = Number(slotLinear(slot) & 0xffffffffn) | 0;
      expect(paged.machine.read32(lo, window.hi)).toBe(0x7a900000 | (0x3000 + slot));
    }
    expect(temporarySlotsHeld()).toBe((1 << SLOTS) - 1);
  });

  it('refuses a held slot to another caller and an unheld release', () => {
    mapTemporaryPhysicalPage(0, frameWithTag(0x10));
    expect(mapTemporaryPhysicalPage(0, 0x11)).toBe(ERR_SLOT_BUSY);
    expect(mapTemporaryPhysicalPage(0, 0x10)).toBe(ERR_SLOT_BUSY);
    expect(temporarySlotFrame(0)).toBe(0x10);
    expect(unmapTemporaryPhysicalPage(0)).toBe(ERR_NONE);
    expect(unmapTemporaryPhysicalPage(0)).toBe(ERR_SLOT_NOT_HELD);
    expect(unmapTemporaryPhysicalPage(1)).toBe(ERR_SLOT_NOT_HELD);
  });

  it('rejects slots that do not exist and frames the format cannot hold', () => {
    expect(mapTemporaryPhysicalPage(-1, 1)).toBe(ERR_SLOT_INVALID);
    expect(mapTemporaryPhysicalPage(SLOTS, 1)).toBe(ERR_SLOT_INVALID);
    expect(unmapTemporaryPhysicalPage(SLOTS)).toBe(ERR_SLOT_INVALID);
    expect(temporarySlotFrame(99)).toBe(ERR_SLOT_INVALID);
    expect(mapTemporaryPhysicalPage(0, -5)).toBe(ERR_OUT_OF_RANGE);
    if (entryBytes === 4) expect(mapTemporaryPhysicalPage(0, 0x100000)).toBe(ERR_OUT_OF_RANGE);
    expect(temporarySlotsHeld()).toBe(0);
  });

  it('re-mapping the frame a slot already holds writes and flushes nothing', () => {
    mapTemporaryPhysicalPage(1, frameWithTag(0x20));
    unmapTemporaryPhysicalPage(1);
    paged.machine.resetCounters();
    mapTemporaryPhysicalPage(1, 0x20);
    expect(paged.machine.counters.invlpg).toBe(0);
    expect(paged.machine.counters.memWrites).toBe(0);
  });

  it('a new frame costs one invlpg, a first mapping none, and no TLB entry goes stale', () => {
    const first = mapTemporaryPhysicalPage(3, frameWithTag(0x30));
    expect(paged.machine.counters.invlpg).toBe(0);
    expect(paged.machine.read32(first, window.hi)).toBe(0x7a900030); // now cached in the TLB
    unmapTemporaryPhysicalPage(3);
    const again = mapTemporaryPhysicalPage(3, frameWithTag(0x31));
    expect(paged.machine.counters.invlpg).toBe(1);
    expect(paged.machine.staleTlbEntries()).toEqual([]);
    expect(paged.machine.read32(again, window.hi)).toBe(0x7a900031);
  });

  it('frames above 4 GiB in the 64-bit formats', () => {
    if (entryBytes === 4) return;
    const frame = frameWithTag(0x100000 + 0x42); // 4 GiB + 0x42000
    const lo = mapTemporaryPhysicalPage(4, frame);
    expect(temporarySlotFrame(4)).toBe(frame);
    expect(paged.machine.read32(lo, window.hi)).toBe(0x7a900000 | frame);
  });

  it('drop-all clears free slots only, and flushes what it clears', () => {
    mapTemporaryPhysicalPage(0, frameWithTag(0x50));
    mapTemporaryPhysicalPage(1, frameWithTag(0x51));
    unmapTemporaryPhysicalPage(1);
    paged.machine.resetCounters();
    expect(temporaryMappingsDropAll()).toBe(ERR_NONE);
    expect(temporarySlotFrame(0)).toBe(0x50);
    expect(temporarySlotFrame(1)).toBe(-1);
    expect(paged.machine.counters.invlpg).toBe(1);
    expect(paged.machine.translate(Number(slotLinear(1) & 0xffffffffn) | 0, window.hi, 0, false)).toMatchObject({ ok: false });
    expect(paged.machine.staleTlbEntries()).toEqual([]);
  });
});

describe('temporary mappings configuration', () => {
  it('rejects bad windows and reports use before configuration', async () => {
    const { vi } = await import('vitest');
    vi.resetModules();
    const fresh = await import('../../src/memory/temporary-mappings.ts');
    const freshPort = await import('../../src/port/port.ts');
    freshPort.installMachine(pagedMachine('two-level').machine);
    expect(fresh.mapTemporaryPhysicalPage(0, 1)).toBe(ERR_NOT_INITIALISED);
    expect(fresh.unmapTemporaryPhysicalPage(0)).toBe(ERR_NOT_INITIALISED);
    expect(fresh.temporaryMappingsDropAll()).toBe(ERR_NOT_INITIALISED);
    expect(fresh.temporarySlotCount()).toBe(0);
    const ok = [3, 0xc00000, 0, 0x201000, 0, 4, PTE_P | PTE_RW, 0] as const;
    const bad = (index: number, value: number): number[] => ok.map((v, k) => (k === index ? value : v));
    for (const args of [bad(0, 0), bad(0, 32), bad(5, 2), bad(1, 0xc00800), bad(3, 0x201002), bad(6, PTE_RW), bad(6, 0x1003), bad(7, 1)]) {
      expect(fresh.temporaryMappingsConfigure(...(args as [number, number, number, number, number, number, number, number]))).toBe(ERR_INVALID_ARGUMENT);
    }
    expect(fresh.temporaryMappingsConfigure(...ok)).toBe(ERR_NONE);
    expect(fresh.temporarySlotCount()).toBe(3);
  });
});
