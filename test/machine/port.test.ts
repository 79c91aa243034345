/*
 * The host port delegates to the installed emulated machine. The headline test: a page mapped by
 * writing entries through the port, then remapped without invlpg, keeps its stale translation in
 * the software TLB - a forgotten invlpg is caught on the host - until invlpg fixes it.
 */
import { afterEach, describe, expect, it } from 'vitest';
import * as port from '../../src/port/port.ts';
import { ACCESS_EXECUTE, ACCESS_READ, ACCESS_WRITE, CR4_PGE, EFER_NXE, PTE_P, PTE_RW, PTE_US } from './bits.ts';
import { bootX86_64 } from './boot.ts';
import { PageFaultError } from './faults.ts';
import { createMachine } from './machine.ts';

afterEach(() => port.installMachine(null));

/** A 4-level machine after the boot stub, with one empty PDPT/PD/PT chain for 0x40000000 built via the port. */
const bootedWithPageTable = () => {
  const machine = createMachine({ ramBytes: 256 * 1024 * 1024 });
  bootX86_64(machine, { levels: 4, firstTableFrame: 0x100 });
  port.installMachine(machine);
  const pml4 = port.portReadCr3Lo();
  // PML4[0] already points to the boot PDPT (identity map); give 1 GiB..2 GiB its own PD and PT.
  const pml4e = port.portRead32(pml4, 0);
  port.portWrite32(pml4, 0, pml4e | PTE_US); // rights are ANDed: let user pages below through
  const pdpt = pml4e & ~0xfff;
  const pd = 0x300000;
  const pt = 0x301000;
  for (let i = 0; i < 1024; i++) {
    port.portWrite32(pd + i * 4, 0, 0);
    port.portWrite32(pt + i * 4, 0, 0);
  }
  port.portWrite32(pdpt + 1 * 8, 0, pd | PTE_P | PTE_RW | PTE_US);
  port.portWrite32(pd, 0, pt | PTE_P | PTE_RW | PTE_US);
  return { machine, pt };
};

describe('the host port', () => {
  it('catches a forgotten invlpg: the remapped page keeps its old frame until invlpg', () => {
    const { machine, pt } = bootedWithPageTable();
    const frameA = 0x400000;
    const frameB = 0x401000;
    port.portWrite32(frameA, 0, 0xaaaa);
    port.portWrite32(frameB, 0, 0xbbbb);

    // Map 0x40000000 -> frame A by writing the PTE (both halves), and use it.
    port.portWrite32(pt + 4, 0, 0);
    port.portWrite32(pt, 0, frameA | PTE_P | PTE_RW);
    expect(port.portRead32(0x40000000, 0)).toBe(0xaaaa);

    // Remap to frame B, "forgetting" the invlpg: the access still reaches frame A.
    port.portWrite32(pt, 0, frameB | PTE_P | PTE_RW);
    expect(port.portRead32(0x40000000, 0)).toBe(0xaaaa);
    expect(machine.staleTlbEntries()).toMatchObject([{ linear: 0x40000000n, cached: { frameBase: frameA }, fresh: { physical: frameB } }]);

    port.portInvlpg(0x40000000, 0);
    expect(port.portRead32(0x40000000, 0)).toBe(0xbbbb);
    expect(machine.staleTlbEntries()).toEqual([]);
    expect(machine.counters.invlpg).toBe(1);
  });

  it('catches a forgotten invlpg after an unmap: the probe still succeeds', () => {
    const { pt } = bootedWithPageTable();
    port.portWrite32(pt, 0, 0x400000 | PTE_P | PTE_RW);
    expect(port.portProbe(0x40000000, 0, ACCESS_WRITE)).toBe(-1);
    port.portWrite32(pt, 0, 0);
    expect(port.portProbe(0x40000000, 0, ACCESS_WRITE)).toBe(-1); // stale
    port.portInvlpg(0x40000000, 0);
    expect(port.portProbe(0x40000000, 0, ACCESS_WRITE)).toBe(2);
    expect([port.portFaultAddrLo(), port.portFaultAddrHi()]).toEqual([0x40000000, 0]);
  });

  it('delegates every function to the installed machine', () => {
    const { machine, pt } = bootedWithPageTable();
    port.portWrite32(pt, 0, 0x400000 | PTE_P | PTE_US); // user, read-only, executable
    expect(port.portProbeUser(0x40000000, 0, ACCESS_READ, 0, 0)).toBe(-1);
    expect(port.portProbeUser(0x40000000, 0, ACCESS_WRITE, 0, 0)).toBe(7);
    expect(port.portProbeUser(0x40000ffc, 0, ACCESS_EXECUTE, 0, 0)).toBe(-1);
    expect(port.portProbe(0x40000000, 0, ACCESS_WRITE)).toBe(3); // CR0.WP=1
    expect(port.portFaultAddrLo()).toBe(0x40000000);

    expect(port.portReadCr0()).toBe(machine.readCr0());
    expect(port.portWriteCr0(port.portReadCr0() & ~(1 << 16))).toBe(0);
    expect(machine.readCr0() & (1 << 16)).toBe(0);
    expect(port.portWriteCr4(port.portReadCr4() | CR4_PGE)).toBe(0);
    expect(machine.readCr4() & CR4_PGE).toBe(CR4_PGE);
    expect(port.portReadEfer() & EFER_NXE).toBe(EFER_NXE);
    expect(port.portWriteEfer(port.portReadEfer())).toBe(0);
    expect(port.portWriteCr3(port.portReadCr3Lo(), port.portReadCr3Hi())).toBe(0);
    expect(port.portFlushTlb()).toBe(0);
    expect(port.portFlushTlbGlobal()).toBe(0);
    expect(machine.counters).toMatchObject({ cr3Writes: 1, fullFlushes: 1, globalFlushes: 1, probes: 4 });
    expect(port.portCpuid(0x80000008 | 0, 0, 0) & 0xff).toBe(52);
    expect(() => port.portRead32(0, 0x8000)).toThrow(/non-canonical/);
    expect(() => port.portRead32(0x40001000, 0)).toThrow(PageFaultError);
  });

  it('refuses to run without a machine', () => {
    expect(() => port.portRead32(0, 0)).toThrow(/no machine installed/);
  });
});
