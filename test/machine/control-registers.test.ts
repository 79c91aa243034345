import { describe, expect, it } from 'vitest';
import {
  CR0_PE,
  CR0_PG,
  CR0_WP,
  CR4_LA57,
  CR4_PAE,
  CR4_PGE,
  CR4_PSE,
  CR4_SMEP,
  EFER_LMA,
  EFER_LME,
  EFER_NXE,
  MachineUsageError,
} from './bits.ts';
import { DEFAULT_CPU_FEATURES } from './cpuid.ts';
import { GeneralProtectionError } from './faults.ts';
import { createMachine, derivePagingMode } from './machine.ts';

describe('control registers and the paging mode', () => {
  it('starts as a Multiboot2 loader leaves the CPU: protected mode, paging off', () => {
    const machine = createMachine();
    expect(machine.readCr0() & (CR0_PE | CR0_PG)).toBe(CR0_PE);
    expect([machine.readCr4(), machine.readEfer(), machine.readCr3Lo(), machine.readCr3Hi()]).toEqual([0, 0, 0, 0]);
    expect(machine.pagingMode).toBe('off');
    expect(machine.listMappings()).toEqual([]);
  });

  it('derives the mode from CR0.PG, CR4.PAE, CR4.LA57 and EFER.LMA (SDM table 4-1)', () => {
    expect(derivePagingMode(0, CR4_PAE, EFER_LMA)).toBe('off');
    expect(derivePagingMode(CR0_PG, 0, 0)).toBe('two-level');
    expect(derivePagingMode(CR0_PG, CR4_PSE, 0)).toBe('two-level');
    expect(derivePagingMode(CR0_PG, CR4_PAE, 0)).toBe('pae');
    expect(derivePagingMode(CR0_PG, CR4_PAE, EFER_LME)).toBe('pae'); // LME without LMA
    expect(derivePagingMode(CR0_PG, CR4_PAE, EFER_LME | EFER_LMA)).toBe('four-level');
    expect(derivePagingMode(CR0_PG, CR4_PAE | CR4_LA57, EFER_LME | EFER_LMA)).toBe('five-level');
  });

  it('enters long mode on CR0.PG with EFER.LME and CR4.PAE, setting EFER.LMA', () => {
    const machine = createMachine();
    machine.writeCr4(CR4_PAE | CR4_LA57);
    machine.writeCr3(0x1000, 0);
    machine.writeEfer(EFER_LME | EFER_NXE | EFER_LMA); // a written LMA is ignored
    expect(machine.readEfer() & EFER_LMA).toBe(0);
    machine.writeCr0(machine.readCr0() | CR0_PG | CR0_WP);
    expect(machine.readEfer() & EFER_LMA).toBe(EFER_LMA);
    expect(machine.pagingMode).toBe('five-level');
    machine.writeEfer(machine.readEfer() & ~EFER_LMA); // and cannot be cleared either
    expect(machine.readEfer() & EFER_LMA).toBe(EFER_LMA);
  });

  it('raises #GP for the combinations hardware refuses, leaving the registers unchanged', () => {
    const gp = (setUp: (m: ReturnType<typeof createMachine>) => void, act: (m: ReturnType<typeof createMachine>) => void) => {
      const machine = createMachine();
      setUp(machine);
      const before = [machine.readCr0(), machine.readCr4(), machine.readEfer(), machine.pagingMode];
      expect(() => act(machine)).toThrow(GeneralProtectionError);
      expect(machine.lastFault).toMatchObject({ type: 'general-protection', linear: null });
      expect([machine.readCr0(), machine.readCr4(), machine.readEfer(), machine.pagingMode]).toEqual(before);
    };
    const longMode = (m: ReturnType<typeof createMachine>): void => {
      m.writeCr4(CR4_PAE);
      m.writeEfer(EFER_LME);
      m.writeCr0(m.readCr0() | CR0_PG);
    };
    gp(
      (m) => m.writeEfer(EFER_LME),
      (m) => m.writeCr0(m.readCr0() | CR0_PG), // long mode needs CR4.PAE
    );
    gp(() => {}, (m) => m.writeCr0(CR0_PG)); // PG without PE
    gp(longMode, (m) => m.writeCr4(0)); // clearing PAE in long mode
    gp(longMode, (m) => m.writeCr4(CR4_PAE | CR4_LA57)); // LA57 is chosen before long mode
    gp(longMode, (m) => m.writeCr0(m.readCr0() & ~CR0_PG)); // leaving long mode
    gp(longMode, (m) => m.writeEfer(0)); // LME while paging
    gp(
      (m) => m.writeCr0(m.readCr0() | CR0_PG),
      (m) => m.writeEfer(EFER_LME),
    );
  });

  it('raises #GP for control bits of CPU features that are turned off', () => {
    const cases: [keyof typeof DEFAULT_CPU_FEATURES, (m: ReturnType<typeof createMachine>) => void][] = [
      ['pse', (m) => m.writeCr4(CR4_PSE)],
      ['pae', (m) => m.writeCr4(CR4_PAE)],
      ['pge', (m) => m.writeCr4(CR4_PGE)],
      ['la57', (m) => m.writeCr4(CR4_LA57)],
      ['nx', (m) => m.writeEfer(EFER_NXE)],
      ['longMode', (m) => m.writeEfer(EFER_LME)],
    ];
    for (const [feature, act] of cases) {
      act(createMachine()); // on by default
      expect(() => act(createMachine({ cpu: { [feature]: false } }))).toThrow(new RegExp(feature));
    }
    expect(() => createMachine().writeCr4(CR4_SMEP)).toThrow(GeneralProtectionError); // off by default
    createMachine({ cpu: { smep: true } }).writeCr4(CR4_SMEP);
  });

  it('keeps CR3 to 32 bits outside long mode and the root aligned as its format needs', () => {
    const machine = createMachine();
    expect(() => machine.writeCr3(0x1000, 1)).toThrow(MachineUsageError);
    machine.writeCr3(0x1018, 0); // PWT|PCD are allowed, and paging is off anyway
    expect(() => machine.writeCr0(machine.readCr0() | CR0_PG)).not.toThrow();
    expect(() => machine.writeCr3(0x1004, 0)).toThrow(/4 KiB aligned/);
    expect(machine.readCr3Lo()).toBe(0x1018);
  });
});

describe('cpuid', () => {
  it('reports the default feature set', () => {
    const m = createMachine();
    const vendor = [1, 3, 2].map((reg) => m.cpuid(0, 0, reg)).map((word) => String.fromCharCode(word & 255, (word >> 8) & 255, (word >> 16) & 255, word >>> 24));
    expect(vendor.join('')).toBe('GenuineIntel');
    expect(m.cpuid(0, 0, 0)).toBeGreaterThanOrEqual(7);
    const edx1 = m.cpuid(1, 0, 3);
    expect([edx1 & (1 << 3), edx1 & (1 << 6), edx1 & (1 << 13), edx1 & (1 << 17)]).toEqual([1 << 3, 1 << 6, 1 << 13, 1 << 17]);
    expect(m.cpuid(7, 0, 2) & (1 << 16)).toBe(1 << 16); // LA57
    expect(m.cpuid(7, 0, 1) & ((1 << 7) | (1 << 20))).toBe(0); // SMEP, SMAP off
    expect(m.cpuid(0x80000000 | 0, 0, 0) >>> 0).toBe(0x80000008);
    const edx81 = m.cpuid(0x80000001 | 0, 0, 3);
    expect([edx81 & (1 << 20), edx81 & (1 << 26), edx81 & (1 << 29)]).toEqual([1 << 20, 1 << 26, 1 << 29]);
    expect(m.cpuid(0x80000008 | 0, 0, 0) & 0xffff).toBe(52 | (57 << 8));
    expect(m.cpuid(0x12345, 0, 0)).toBe(0);
    expect(() => m.cpuid(0, 0, 4)).toThrow(MachineUsageError);
  });

  it('turns each feature off on request', () => {
    const m = createMachine({ cpu: { pse: false, pae: false, pge: false, nx: false, pdpe1gb: false, la57: false, longMode: false, maxPhysAddr: 36, smep: true, smap: true } });
    expect(m.cpuid(1, 0, 3) & ((1 << 3) | (1 << 6) | (1 << 13) | (1 << 17))).toBe(0);
    expect(m.cpuid(7, 0, 2)).toBe(0);
    expect(m.cpuid(7, 0, 1)).toBe((1 << 7) | (1 << 20));
    expect(m.cpuid(0x80000001 | 0, 0, 3)).toBe(0);
    expect(m.cpuid(0x80000008 | 0, 0, 0)).toBe(36 | (48 << 8));
    expect(() => createMachine({ cpu: { maxPhysAddr: 53 } })).toThrow(MachineUsageError);
  });
});
