import { describe, expect, it } from 'vitest';
import { ACCESS_READ, ACCESS_WRITE, EFER_NXE, PTE_P, PTE_PS, PTE_RW, fromPair } from './bits.ts';
import { GeneralProtectionError } from './faults.ts';
import { at, fixture } from './test-support.ts';

const GiB = 2 ** 30;

describe.each(['four-level', 'five-level'] as const)('%s paging', (format) => {
  const linearBits = format === 'five-level' ? 57 : 48;
  /** The lowest non-canonical address of this mode, and a canonical high-half one. */
  const firstNonCanonical = 1n << BigInt(linearBits - 1);
  const kernelBase = 0xffffffff80000000n;

  it('translates 4 KiB, 2 MiB and 1 GiB leaves, in both halves', () => {
    const { machine, tables, activate } = fixture(format, { ramBytes: 64 * GiB });
    tables.map(kernelBase + 0x5000n, 0x7000);
    tables.map(0x7f_c000_0000n, 0x4_0000_0000, { size: 0x40000000 }); // 1 GiB page at 16 GiB
    tables.map(0x0000_7fff_ffe0_0000n, 0xf_ffe0_0000, { size: 0x200000 }); // top 2 MiB of 64 GiB
    activate();
    expect(machine.pagingMode).toBe(format);
    expect(machine.translate(...at(kernelBase + 0x5ffcn))).toMatchObject({ ok: true, physical: 0x7ffc, pageShift: 12 });
    expect(machine.translate(...at(0x7f_c123_4568n))).toMatchObject({ ok: true, physical: 0x4_0123_4568, pageShift: 30 });
    expect(machine.translate(...at(0x7fff_ffff_fffcn))).toMatchObject({ ok: true, physical: 0xf_ffff_fffc, pageShift: 21 });
    machine.write32(...at(0x7fff_ffff_fffcn), 0x600d);
    expect(machine.readPhys32(64 * GiB - 4)).toBe(0x600d);
    expect(machine.read32(...at(0x7f_c123_4568n))).toBe(0);
    machine.write32(...at(kernelBase + 0x5004n), -1);
    expect(machine.readPhys32(0x7004)).toBe(-1);
  });

  it('reaches physical addresses up to MAXPHYADDR 52', () => {
    const top = 2 ** 52 - 4096;
    const { machine, tables, activate } = fixture(format, { ramRanges: [{ start: 0, end: 1 << 24 }, { start: top, end: 2 ** 52 }] });
    tables.map(0x1000n, top);
    activate();
    machine.write32(0x1ffc, 0, 42);
    expect(machine.readPhys32(2 ** 52 - 4)).toBe(42);
    expect(machine.listMappings()).toMatchObject([{ linear: 0x1000n, physical: top, size: 4096 }]);
  });

  it('faults with RSVD on PS in the top levels and on misaligned large-page address bits', () => {
    const { machine, tables, activate } = fixture(format);
    tables.map(0x1000n, 0x1000);
    tables.map(0x4000_0000n + 0x200000n, 0x200000, { size: 0x200000, flags: PTE_P | PTE_RW | (1 << 20) });
    tables.map(0x80_0000_0000n + 0x8000_0000n, 0x8000_0000, { size: 0x40000000, flags: PTE_P | PTE_RW | (1 << 29) });
    activate();
    expect(machine.probe(...at(0x4020_0000n), ACCESS_READ, false)).toBe(9);
    expect(machine.probe(...at(0x80_8000_0000n), ACCESS_WRITE, false)).toBe(0xb);
    // PS in the root-level entry of 0x1000 (PML4E, or PML5E with 5 levels)
    const rootEntry = tables.entryAddress(0x1000n, 0);
    machine.writePhys32(rootEntry, machine.readPhys32(rootEntry) | PTE_PS);
    machine.invlpg(0x1000, 0);
    expect(machine.probe(0x1000, 0, ACCESS_READ, true)).toBe(0xd); // P|U|RSVD
    expect(machine.lastFault).toMatchObject({ detail: expect.stringMatching(format === 'five-level' ? /^PML5E/ : /^PML4E/) });
    if (format === 'five-level') {
      machine.writePhys32(rootEntry, machine.readPhys32(rootEntry) & ~PTE_PS);
      const pml4e = tables.entryAddress(0x1000n, 1);
      machine.writePhys32(pml4e, machine.readPhys32(pml4e) | PTE_PS);
      expect(machine.probe(0x1000, 0, ACCESS_READ, false)).toBe(9);
      expect(machine.lastFault).toMatchObject({ detail: expect.stringMatching(/^PML4E/) });
    }
  });

  it('treats PS in a PDPTE as reserved without the pdpe1gb feature', () => {
    const { machine, tables, activate } = fixture(format, { cpu: { pdpe1gb: false } });
    tables.map(0x4000_0000n, 0x4000_0000, { size: 0x40000000 });
    activate();
    expect(machine.cpuid(0x80000001 | 0, 0, 3) & (1 << 26)).toBe(0);
    expect(machine.probe(...at(0x4000_0000n), ACCESS_READ, false)).toBe(9);
    expect(machine.listMappings()).toMatchObject([{ size: 0x40000000, reserved: true }]);
  });

  it('reserves bits 51:MAXPHYADDR and XD without NXE, and ignores bits 62:52', () => {
    const { machine, tables, activate } = fixture(format, { cpu: { maxPhysAddr: 40 } });
    tables.map(0x1000n, 0x2000, { extraHi: 0x7ff00000 }); // bits 62:52: ignored
    tables.map(0x2000n, 0x2000, { extraHi: 1 << 8 }); // bit 40: reserved with MAXPHYADDR 40
    tables.map(0x3000n, 0x2000, { nx: true });
    activate();
    expect(machine.translate(0x1000, 0)).toMatchObject({ ok: true, physical: 0x2000 });
    expect(machine.probe(0x2000, 0, ACCESS_READ, false)).toBe(9);
    expect(machine.probe(0x3000, 0, ACCESS_READ, false)).toBe(-1);
    expect(machine.probe(0x3000, 0, 2, false)).toBe(0x11);
    machine.writeEfer(machine.readEfer() & ~EFER_NXE);
    expect(machine.translate(0x3000, 0)).toMatchObject({ ok: false, fault: { errorCode: 9 } });
  });

  it(`makes a non-canonical access (${linearBits}-bit) a #GP, never a page fault`, () => {
    const { machine, tables, activate } = fixture(format);
    tables.map(0x1000n, 0x1000);
    activate();
    const faultsBefore = machine.counters.pageFaults;
    for (const address of [firstNonCanonical, -firstNonCanonical - 4096n, 0x7fff_0000_0000_0000n]) {
      const [lo, hi] = at(address);
      expect(machine.translate(lo, hi)).toMatchObject({ ok: false, fault: { type: 'general-protection' } });
      expect(() => machine.read32(lo, hi)).toThrow(GeneralProtectionError);
      expect(() => machine.probe(lo, hi, ACCESS_READ, true)).toThrow(/non-canonical/);
      expect(machine.lastFault).toMatchObject({ type: 'general-protection', linear: BigInt.asUintN(64, address) });
      machine.invlpg(lo, hi); // a no-op, not an error
    }
    expect(machine.counters.pageFaults).toBe(faultsBefore);
    // The highest canonical addresses of each half are ordinary (here: not-present) addresses.
    expect(machine.probe(...at(firstNonCanonical - 4096n), ACCESS_READ, false)).toBe(0);
    expect(machine.probe(...at(-firstNonCanonical), ACCESS_READ, false)).toBe(0);
    expect(fromPair(machine.faultAddrLo(), machine.faultAddrHi())).toBe(BigInt.asUintN(64, -firstNonCanonical));
  });

  it('lists every present leaf with sign-extended addresses, skipping empty tables', () => {
    const { machine, tables, activate } = fixture(format);
    tables.map(kernelBase, 0x400000, { size: 0x200000 });
    tables.map(0x1000n, 0x5000, { flags: PTE_P, nx: true });
    tables.map(0x2000n, 0x6000);
    const empty = tables.entryAddress(0x60_0000_0000n, 2);
    activate();
    expect(empty).toBeGreaterThan(0);
    const pteReads = machine.counters.pteReads;
    expect(machine.listMappings()).toEqual([
      { linear: 0x1000n, physical: 0x5000, size: 4096, level: 'PTE', writable: false, user: false, nx: true, global: false, reserved: false },
      { linear: 0x2000n, physical: 0x6000, size: 4096, level: 'PTE', writable: true, user: false, nx: false, global: false, reserved: false },
      { linear: kernelBase, physical: 0x400000, size: 0x200000, level: 'PDE', writable: true, user: false, nx: false, global: false, reserved: false },
    ]);
    expect(machine.counters.pteReads).toBe(pteReads); // inspections are not counted
  });

  it('refuses CR3 values with bits above MAXPHYADDR', () => {
    const { machine, activate } = fixture(format, { cpu: { maxPhysAddr: 46 } });
    activate();
    expect(() => machine.writeCr3(0x100000, 1 << 14)).toThrow(GeneralProtectionError);
    machine.writeCr3(machine.readCr3Lo(), 1 << 13); // bit 45: a legal (if empty) root
    expect(machine.readCr3Hi()).toBe(1 << 13);
  });
});
