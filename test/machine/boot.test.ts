/*
 * The boot helpers, and the kernels' first-light code (test/kernel/) run on the emulated machine
 * through the port: the same TypeScript the QEMU kernels run, checked here by the emulated MMU.
 */
import { frameBitmapAddUsable, frameBitmapInit, frameBitmapStorageBytes } from '../../src/memory/frame-bitmap.ts';
import { afterEach, describe, expect, it } from 'vitest';
import { installMachine } from '../../src/port/port.ts';
import * as firstLightI386 from '../kernel/i386/first-light.ts';
import * as firstLightX86_64 from '../kernel/x86-64/first-light.ts';
import { ACCESS_EXECUTE, ACCESS_READ, ACCESS_WRITE, CR0_PG, CR0_WP, CR4_LA57, CR4_PAE, EFER_LMA, EFER_LME, EFER_NXE, toPair } from './bits.ts';
import { KERNEL_BASE_HI, KERNEL_BASE_LO, bootX86_64 } from './boot.ts';
import { createMachine } from './machine.ts';

afterEach(() => installMachine(null));

describe.each([4, 5] as const)('bootX86_64 with %i levels', (levels) => {
  it('leaves long mode on, with the low 1 GiB mapped at 0 and at 0xFFFFFFFF80000000', () => {
    const machine = createMachine({ ramBytes: 1 << 30 });
    const layout = bootX86_64(machine, { levels, firstTableFrame: 0x70 });
    expect(machine.pagingMode).toBe(levels === 5 ? 'five-level' : 'four-level');
    expect(machine.readCr4() & (CR4_PAE | CR4_LA57)).toBe(CR4_PAE | (levels === 5 ? CR4_LA57 : 0));
    expect(machine.readEfer() & (EFER_LME | EFER_LMA | EFER_NXE)).toBe(EFER_LME | EFER_LMA | EFER_NXE);
    expect(machine.readCr0() & (CR0_PG | CR0_WP)).toBe((CR0_PG | CR0_WP) | 0);
    expect(machine.readCr3Lo()).toBe(levels === 5 ? 0x70000 : 0x71000);
    expect(layout.nextFreeFrame).toBe(0x75);
    expect(Object.values(machine.counters).every((value) => value === 0)).toBe(true);

    // The stub's PML5 sends entries 0 and 511 to the same PML4: two more 1 GiB windows.
    const mappings = machine.listMappings();
    expect(mappings).toHaveLength(levels === 5 ? 2048 : 1024);
    expect(mappings.every((m) => m.size === 0x200000 && m.writable && !m.user && !m.nx)).toBe(true);
    expect(mappings.every((m, i) => m.physical === (i % 512) * 0x200000)).toBe(true);
    const windows = mappings.filter((_, i) => i % 512 === 0).map((m) => m.linear);
    expect(windows).toEqual(
      levels === 5
        ? [0n, 0xffff80000000n, 0xffff000000000000n, 0xffffffff80000000n]
        : [0n, 0xffffffff80000000n],
    );

    machine.write32(0x3ffffffc, 0, 0xabc);
    expect(machine.read32((KERNEL_BASE_LO + 0x3ffffffc) | 0, KERNEL_BASE_HI)).toBe(0xabc);
    expect(machine.probe(0x40000000, 0, ACCESS_READ, false)).toBe(0);
    expect(machine.probe(...toPair(0xffffffff80000000n - 4096n), ACCESS_READ, false)).toBe(0);
  });

  it('accepts the table frames listed one by one', () => {
    const machine = createMachine({ ramBytes: 1 << 30 });
    const layout = bootX86_64(machine, { levels, tableFrames: [9, 3, 7, 8, 5] });
    expect(layout).toMatchObject({ root: levels === 5 ? 9 : 3, pml4: 3, pdptLow: 7, pdptHigh: 8, pd: 5, nextFreeFrame: 10 });
    expect(machine.translate(0x123456, 0)).toMatchObject({ ok: true, physical: 0x123456 });
  });

  it('runs the x86-64 first-light kernel code through the port', () => {
    const machine = createMachine({ ramBytes: 64 * 1024 * 1024 });
    bootX86_64(machine, { levels, firstTableFrame: 0x100 });
    installMachine(machine);
    giveFrames();
    const root = firstLightX86_64.firstLightBuild(0);
    firstLightX86_64.firstLightActivate();
    expect(machine.readCr3Lo()).toBe(root);
    expect(firstLightX86_64.firstLightLevels()).toBe(levels);
    firstLightX86_64.firstLightWrite(0x5eed);
    expect(firstLightX86_64.firstLightRead()).toBe(0x5eed);
    expect(firstLightX86_64.firstLightReadAlias()).toBe(0x5eed);
    expect(firstLightX86_64.firstLightProbeUnmapped(ACCESS_READ)).toBe(0);
    expect(firstLightX86_64.firstLightProbeUnmapped(ACCESS_WRITE)).toBe(2);
    expect(firstLightX86_64.firstLightProbeUnmapped(ACCESS_EXECUTE)).toBe(0x10);
    expect(machine.staleTlbEntries()).toEqual([]);
    // 2 x 4096 low pages + the test page, all 4 KiB.
    expect(machine.listMappings()).toHaveLength(2 * 4096 + 1);
  });
});

/** First light takes its frames from the page bitmap: frames 0x200..0x2FF, storage at 3 MiB. */
const giveFrames = (): void => {
  expect(frameBitmapInit(0x4000, 0x300000, 0, frameBitmapStorageBytes(0x4000))).toBe(0);
  expect(frameBitmapAddUsable(0x200, 0x100)).toBe(0x100);
};

describe('i386 boot state', () => {
  it('runs the i386 first-light kernel code through the port from paging off', () => {
    const machine = createMachine({ ramBytes: 64 * 1024 * 1024 });
    installMachine(machine);
    giveFrames();
    firstLightI386.firstLightBuild(0);
    expect(machine.pagingMode).toBe('off');
    firstLightI386.firstLightActivate();
    expect(machine.pagingMode).toBe('two-level');
    firstLightI386.firstLightWrite(0x1234);
    expect(firstLightI386.firstLightRead()).toBe(0x1234);
    expect(firstLightI386.firstLightReadAlias()).toBe(0x1234);
    expect(firstLightI386.firstLightProbeUnmapped(ACCESS_READ)).toBe(0);
    expect(firstLightI386.firstLightProbeUnmapped(ACCESS_WRITE)).toBe(2);
    expect(machine.listMappings()).toHaveLength(4096 + 1);
  });
});
