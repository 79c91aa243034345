/*
 * The emulated x86 machine the host port (src/port/port.ts) delegates to: control registers with
 * the hardware's consistency rules, the paging mode they select, an MMU walking the real entry
 * formats (walk-*.ts), a software TLB (tlb.ts), sparse physical memory (physical-memory.ts) and
 * CPUID (cpuid.ts), plus counters and inspection helpers for tests.
 *
 * The port side (read32, write32, probe...) behaves like the CPU: accesses go through the TLB, a
 * miss walks the tables and sets A/D bits, and nothing is flushed unless the code asks for it.
 * The inspection side (translate, listMappings, staleTlbEntries, physical helpers) never changes
 * the machine's state or counters, so tests can look without disturbing what they check.
 *
 * Every rule broken by the code driving the machine throws: a page fault in read32/write32
 * (PageFaultError), a #GP (GeneralProtectionError), RAM outside the installed ranges
 * (PhysicalMemoryError) or a misuse such as a misaligned access (MachineUsageError).
 */
import type { PortMachine } from '../../src/port/port.ts';
import {
  ACCESS_EXECUTE,
  ACCESS_READ,
  ACCESS_WRITE,
  CR0_PE,
  CR0_PG,
  CR0_WP,
  CR4_LA57,
  CR4_PAE,
  CR4_PGE,
  CR4_PSE,
  CR4_SMAP,
  CR4_SMEP,
  EFER_LMA,
  EFER_LME,
  EFER_NXE,
  MachineUsageError,
  PTE_A,
  PTE_D,
  TWO_32,
  fromPair,
  hex,
  hexPair,
  type AccessKind,
  type PagingMode,
} from './bits.ts';
import { cpuidRegisters, resolveCpuFeatures, type CpuFeatures } from './cpuid.ts';
import {
  GeneralProtectionError,
  PageFaultError,
  generalProtection,
  nonCanonical,
  pageFaultRecord,
  type FaultRecord,
  type PageFaultRecord,
} from './faults.ts';
import {
  accessFaultCode,
  longReservedHi,
  stopFaultCode,
  type AccessControl,
  type LeafMapping,
  type WalkControl,
  type WalkResult,
} from './paging-walk.ts';
import { PhysicalMemory, type RamRange } from './physical-memory.ts';
import { Tlb, type TlbEntry } from './tlb.ts';
import { enumerateLongMode, walkLongMode } from './walk-long-mode.ts';
import { enumeratePae, loadPdptes, walkPae } from './walk-pae.ts';
import { enumerateTwoLevel, walkTwoLevel } from './walk-two-level.ts';

export interface MachineOptions {
  /** Installed RAM as one range [0, ramBytes). Ignored when ramRanges is given. Default 64 MiB. */
  ramBytes?: number;
  /** Installed RAM as explicit ranges; anything else (holes included) is not memory. */
  ramRanges?: RamRange[];
  /** CPU features to change from the defaults (cpuid.ts). */
  cpu?: Partial<CpuFeatures>;
}

export interface MachineCounters {
  /** Port calls. */
  invlpg: number;
  cr3Writes: number;
  /** flushTlb (a CR3 reload on hardware). */
  fullFlushes: number;
  /** flushTlbGlobal (a CR4.PGE toggle on hardware). */
  globalFlushes: number;
  /** The manager's own read32/write32. */
  memReads: number;
  memWrites: number;
  probes: number;
  /** MMU side: entries read by walks and PDPTE loads, entries written to set A/D. */
  pteReads: number;
  pteWrites: number;
  tlbHits: number;
  tlbMisses: number;
  /** Page faults raised (by probes and by faulting read32/write32). */
  pageFaults: number;
}

const zeroCounters = (): MachineCounters => ({
  invlpg: 0,
  cr3Writes: 0,
  fullFlushes: 0,
  globalFlushes: 0,
  memReads: 0,
  memWrites: 0,
  probes: 0,
  pteReads: 0,
  pteWrites: 0,
  tlbHits: 0,
  tlbMisses: 0,
  pageFaults: 0,
});

/** What an access at a linear address resolves to, for inspections. */
export type Translation =
  | {
      ok: true;
      physical: number;
      /** Size of the page as log2 (12 with paging off). */
      pageShift: number;
      writable: boolean;
      user: boolean;
      nx: boolean;
      global: boolean;
      /** Where the translation comes from: a fresh walk, the TLB, or no paging at all. */
      source: 'walk' | 'tlb' | 'paging-off';
    }
  | { ok: false; fault: FaultRecord };

/** A TLB entry that no longer matches the tables: what a forgotten invlpg leaves behind. */
export interface StaleTlbEntry {
  linear: bigint;
  lo: number;
  hi: number;
  cached: TlbEntry;
  /** The fresh walk's view (the translation itself, whatever the access rules would allow). */
  fresh: Translation;
}

const CR0_ET = 1 << 4;
/** CR4 bits that need a CPU feature, and the feature. */
const CR4_FEATURE_BITS: ReadonlyArray<[number, keyof CpuFeatures]> = [
  [CR4_PSE, 'pse'],
  [CR4_PAE, 'pae'],
  [CR4_PGE, 'pge'],
  [CR4_LA57, 'la57'],
  [CR4_SMEP, 'smep'],
  [CR4_SMAP, 'smap'],
];

export class EmulatedMachine implements PortMachine {
  readonly memory: PhysicalMemory;
  readonly features: CpuFeatures;
  readonly tlb = new Tlb();
  readonly counters: MachineCounters = zeroCounters();
  /** The last page fault or #GP, whether a probe reported it or an error was thrown for it. */
  lastFault: FaultRecord | null = null;

  // After a Multiboot2 load: protected mode (PE, ET), paging off, no CR4 or EFER bits.
  private cr0 = CR0_PE | CR0_ET;
  private cr3Lo = 0;
  private cr3Hi = 0;
  private cr4 = 0;
  private efer = 0;
  private cr2Lo = 0;
  private cr2Hi = 0;
  /** PAE PDPTE registers, (lo, hi) x 4: loaded from memory only at the moments hardware loads them. */
  private pdptes: Int32Array = new Int32Array(8);
  private mode: PagingMode = 'off';
  /** State of the MMU's own walks (counted) and of the tests' inspections (not counted). */
  private readonly walkControl: WalkControl;
  private readonly inspectControl: WalkControl;
  private readonly access: AccessControl = { wp: false, nx: false, smep: false, smap: false, reportFetch: false };

  constructor(options: MachineOptions = {}) {
    this.features = resolveCpuFeatures(options.cpu);
    this.memory = new PhysicalMemory(options.ramRanges ?? [{ start: 0, end: options.ramBytes ?? 64 * 1024 * 1024 }]);
    const common = { memory: this.memory, maxPhysAddr: this.features.maxPhysAddr, gbPages: this.features.pdpe1gb };
    this.walkControl = { ...common, nxe: false, pse: false, pge: false, counters: this.counters };
    this.inspectControl = { ...common, nxe: false, pse: false, pge: false, counters: null };
  }

  // ------------------------------------------------------------------ port: memory

  read32(lo: number, hi: number): number {
    this.counters.memReads++;
    const physical = this.accessLinear(lo, hi, ACCESS_READ, false);
    if (physical < 0) throw new PageFaultError(this.lastFault as PageFaultRecord);
    return this.memory.read32(physical);
  }

  write32(lo: number, hi: number, value: number): void {
    this.counters.memWrites++;
    const physical = this.accessLinear(lo, hi, ACCESS_WRITE, false);
    if (physical < 0) throw new PageFaultError(this.lastFault as PageFaultRecord);
    this.memory.write32(physical, value | 0);
  }

  /**
   * A checked access, as the boot glue's probe does it: -1 if it went through, else the page-fault
   * error code (CR2 then holds the address). A write probe changes no memory but, like the glue's
   * read-and-write-back, sets the D bit. A #GP (non-canonical address) is thrown, as the native
   * glue treats any fault other than #PF during a probe as a kernel failure.
   */
  probe(lo: number, hi: number, kind: number, user: boolean): number {
    if (kind !== ACCESS_READ && kind !== ACCESS_WRITE && kind !== ACCESS_EXECUTE) {
      throw new MachineUsageError(`probe kind ${kind}: must be 0 (read), 1 (write) or 2 (execute)`);
    }
    this.counters.probes++;
    const physical = this.accessLinear(lo, hi, kind, user);
    return physical < 0 ? (this.lastFault as PageFaultRecord).errorCode : -1;
  }

  faultAddrLo(): number {
    return this.cr2Lo;
  }

  faultAddrHi(): number {
    return this.cr2Hi;
  }

  // ------------------------------------------------------------------ port: registers and TLB

  writeCr3(lo: number, hi: number): void {
    lo |= 0;
    hi |= 0;
    if ((this.efer & EFER_LMA) !== 0) {
      if ((hi & ~longReservedHi(this.features.maxPhysAddr) & 0xfffff) !== hi) {
        throw this.gp(`CR3 ${hexPair(lo, hi)}: bits 63:${this.features.maxPhysAddr} are reserved`);
      }
    } else if (hi !== 0) {
      throw new MachineUsageError(`CR3 high half ${hex(hi >>> 0)}: CR3 has 32 bits outside long mode`);
    }
    this.checkRootAlignment(this.mode, lo);
    if (this.mode === 'pae') this.pdptes = this.loadPdptes(lo); // #GP leaves CR3 unchanged
    this.counters.cr3Writes++;
    this.cr3Lo = lo;
    this.cr3Hi = hi;
    this.tlb.flushNonGlobal();
  }

  readCr3Lo(): number {
    return this.cr3Lo;
  }

  readCr3Hi(): number {
    return this.cr3Hi;
  }

  readCr0(): number {
    return this.cr0;
  }

  writeCr0(value: number): void {
    value |= 0;
    const pagingBefore = (this.cr0 & CR0_PG) !== 0;
    const pagingAfter = (value & CR0_PG) !== 0;
    if (pagingAfter && (value & CR0_PE) === 0) throw this.gp('CR0.PG=1 needs CR0.PE=1');
    let efer = this.efer;
    if (pagingAfter && !pagingBefore && (efer & EFER_LME) !== 0) {
      if ((this.cr4 & CR4_PAE) === 0) throw this.gp('entering long mode (EFER.LME, CR0.PG) needs CR4.PAE=1');
      efer |= EFER_LMA;
    }
    if (pagingBefore && !pagingAfter && (efer & EFER_LMA) !== 0) {
      throw this.gp('clearing CR0.PG in long mode (leaving long mode is not emulated)');
    }
    this.commit(value, this.cr4, efer, pagingBefore !== pagingAfter);
    if (pagingBefore && !pagingAfter) this.tlb.flushAll();
  }

  readCr4(): number {
    return this.cr4;
  }

  writeCr4(value: number): void {
    value |= 0;
    for (const [bit, feature] of CR4_FEATURE_BITS) {
      if ((value & bit) !== 0 && this.features[feature] !== true) {
        throw this.gp(`CR4 ${hex(value >>> 0)}: bit ${hex(bit)} needs the CPU feature '${feature}'`);
      }
    }
    const changed = value ^ this.cr4;
    if ((this.efer & EFER_LMA) !== 0) {
      if ((value & CR4_PAE) === 0) throw this.gp('clearing CR4.PAE in long mode');
      if ((changed & CR4_LA57) !== 0) throw this.gp('changing CR4.LA57 in long mode');
    }
    this.commit(this.cr0, value, this.efer, (changed & (CR4_PAE | CR4_PGE | CR4_PSE | CR4_SMEP)) !== 0);
    // SDM 4.10.4.1: toggling PGE or PAE flushes everything; setting SMEP flushes non-global entries.
    if ((changed & (CR4_PGE | CR4_PAE)) !== 0) this.tlb.flushAll();
    else if ((changed & value & CR4_SMEP) !== 0) this.tlb.flushNonGlobal();
  }

  readEfer(): number {
    return this.efer;
  }

  writeEfer(value: number): void {
    value |= 0;
    if ((value & EFER_NXE) !== 0 && !this.features.nx) throw this.gp('EFER.NXE needs the CPU feature nx');
    if ((value & EFER_LME) !== 0 && !this.features.longMode) throw this.gp('EFER.LME needs the CPU feature longMode');
    if (((value ^ this.efer) & EFER_LME) !== 0 && (this.cr0 & CR0_PG) !== 0) {
      throw this.gp('changing EFER.LME while paging is on');
    }
    // LMA is the CPU's own status bit: a write cannot change it.
    this.commit(this.cr0, this.cr4, (value & ~EFER_LMA) | (this.efer & EFER_LMA), false);
  }

  invlpg(lo: number, hi: number): void {
    this.counters.invlpg++;
    if (this.isLongMode()) {
      if (!this.isCanonical(hi)) return; // INVLPG of a non-canonical address is a no-op
    } else if (hi !== 0) {
      throw new MachineUsageError(`invlpg ${hexPair(lo, hi)}: linear addresses have 32 bits outside long mode`);
    }
    this.tlb.invalidatePage(pageNumber(lo, hi));
  }

  /** Like the glue's CR3 reload: non-global entries go, and PAE PDPTEs are reloaded. */
  flushTlb(): void {
    this.counters.fullFlushes++;
    if (this.mode === 'pae') this.pdptes = this.loadPdptes(this.cr3Lo);
    this.tlb.flushNonGlobal();
  }

  /** Like the glue's CR4.PGE toggle: everything goes, global entries too; PAE PDPTEs are reloaded. */
  flushTlbGlobal(): void {
    this.counters.globalFlushes++;
    if (this.mode === 'pae') this.pdptes = this.loadPdptes(this.cr3Lo);
    this.tlb.flushAll();
  }

  cpuid(leaf: number, subleaf: number, reg: number): number {
    if (reg < 0 || reg > 3 || !Number.isInteger(reg)) {
      throw new MachineUsageError(`cpuid register ${reg}: must be 0..3 (EAX, EBX, ECX, EDX)`);
    }
    return cpuidRegisters(this.features, leaf, subleaf)[reg]!;
  }

  // ------------------------------------------------------------------ inspection (no side effects)

  get pagingMode(): PagingMode {
    return this.mode;
  }

  /** The PAE PDPTE registers as (lo, hi) x 4 (a copy). */
  get pdpteRegisters(): Int32Array {
    return this.pdptes.slice();
  }

  resetCounters(): void {
    Object.assign(this.counters, zeroCounters());
  }

  /**
   * What an access of `kind` would find by walking the current tables now, ignoring the TLB:
   * the physical address and effective rights, or the fault (#PF with its error code, or #GP).
   * Touches nothing: no TLB fill, no A/D bits, no counters, no CR2.
   */
  translate(lo: number, hi: number, kind: AccessKind = ACCESS_READ, user = false): Translation {
    return this.inspect(lo | 0, hi | 0, kind, user, false);
  }

  /** The same, as the access would really resolve now: through the TLB entry if there is one. */
  translateViaTlb(lo: number, hi: number, kind: AccessKind = ACCESS_READ, user = false): Translation {
    return this.inspect(lo | 0, hi | 0, kind, user, true);
  }

  /**
   * Every TLB entry whose frame or rights (writable, user, NX, global) differ from a fresh walk of
   * the current tables, or whose page is no longer mapped at all.
   */
  staleTlbEntries(): StaleTlbEntry[] {
    const stale: StaleTlbEntry[] = [];
    for (const [vpn, cached] of this.tlb.cached()) {
      const lo = (vpn % 0x100000) * 4096;
      const hi = Math.floor(vpn / 0x100000);
      const fresh = this.inspect(lo | 0, hi | 0, ACCESS_READ, false, false, false);
      const same =
        fresh.ok &&
        fresh.physical === cached.frameBase &&
        fresh.writable === cached.writable &&
        fresh.user === cached.user &&
        fresh.nx === cached.nx &&
        fresh.global === cached.global;
      if (!same) stale.push({ linear: fromPair(lo, hi), lo: lo | 0, hi: hi | 0, cached: { ...cached }, fresh });
    }
    return stale;
  }

  /** Every present leaf mapping of the current root (PAE: of the PDPTE registers), in address order. */
  listMappings(): LeafMapping[] {
    const mappings: LeafMapping[] = [];
    const visit = (mapping: LeafMapping): void => {
      mappings.push(mapping);
    };
    switch (this.mode) {
      case 'off':
        break;
      case 'two-level':
        enumerateTwoLevel(this.inspectControl, this.cr3Lo, visit);
        break;
      case 'pae':
        enumeratePae(this.inspectControl, this.pdptes, visit);
        break;
      default:
        enumerateLongMode(this.inspectControl, this.rootBase(), this.mode === 'five-level' ? 5 : 4, visit);
    }
    return mappings;
  }

  readPhys32(address: number): number {
    return this.memory.read32(address);
  }

  writePhys32(address: number, value: number): void {
    this.memory.write32(address, value | 0);
  }

  /** A 64-bit entry as (lo, hi) halves. */
  readPhys64(address: number): [number, number] {
    return [this.memory.read32(address), this.memory.read32(address + 4)];
  }

  writePhys64(address: number, lo: number, hi: number): void {
    this.memory.write32(address, lo | 0);
    this.memory.write32(address + 4, hi | 0);
  }

  readPhysBytes(address: number, length: number): Uint8Array {
    return this.memory.readBytes(address, length);
  }

  writePhysBytes(address: number, bytes: Uint8Array): void {
    this.memory.writeBytes(address, bytes);
  }

  /** Zeroes a 4 KiB frame (e.g. a fresh page table in a test's set-up). */
  zeroFrame(frame: number): void {
    this.memory.writeBytes(frame * 4096, new Uint8Array(4096));
  }

  // ------------------------------------------------------------------ the MMU

  /**
   * Translates an access as the CPU does: TLB first, else a walk that fills the TLB and sets A/D.
   * Returns the physical address, or -1 after recording a page fault (lastFault, CR2).
   */
  private accessLinear(lo: number, hi: number, kind: AccessKind, user: boolean): number {
    lo |= 0;
    hi |= 0;
    if ((lo & 3) !== 0) {
      throw new MachineUsageError(`access at ${hexPair(lo, hi)}: must be 4-byte aligned (so it stays in one page)`);
    }
    const mode = this.mode;
    if (mode === 'off') {
      if (hi !== 0) throw new MachineUsageError(`access at ${hexPair(lo, hi)} with paging off: address has 32 bits`);
      return lo >>> 0;
    }
    if (mode === 'two-level' || mode === 'pae') {
      if (hi !== 0) throw new MachineUsageError(`access at ${hexPair(lo, hi)}: linear addresses have 32 bits in ${mode}`);
    } else if (!this.isCanonical(hi)) {
      const error = nonCanonical(lo, hi, mode === 'five-level' ? 57 : 48);
      this.lastFault = error.record;
      throw error;
    }
    const vpn = pageNumber(lo, hi);
    const cached = this.tlb.lookup(vpn);
    if (cached !== undefined) {
      // The cached rights decide first; an allowed write through an entry cached while D was
      // clear goes on to a walk, which sets D (SDM 4.8: the CPU must see D set in memory).
      const code = accessFaultCode(cached.writable, cached.user, cached.nx, kind, user, this.access);
      if (code !== -1) {
        this.counters.tlbHits++;
        return this.pageFault(lo, hi, vpn, code, kind, user, `the TLB entry's rights (${rights(cached)}) deny it`);
      }
      if (kind !== ACCESS_WRITE || cached.dirty) {
        this.counters.tlbHits++;
        return cached.frameBase + (lo & 0xfff);
      }
    }
    this.counters.tlbMisses++;
    const walk = this.walk(lo, hi, this.walkControl);
    if (!walk.ok) {
      const what = walk.reserved ? 'has a reserved bit set' : 'is not present';
      const entry = `${walk.level} at ${hex(walk.entryAddress)} (${hexPair(walk.entryLo, walk.entryHi)}) ${what}`;
      return this.pageFault(lo, hi, vpn, stopFaultCode(walk, kind, user, this.access), kind, user, entry);
    }
    const code = accessFaultCode(walk.writable, walk.user, walk.nx, kind, user, this.access);
    if (code !== -1) return this.pageFault(lo, hi, vpn, code, kind, user, `the page's rights (${rights(walk)}) deny it`);
    this.setAccessedAndDirty(walk.entryAddresses, walk.entryLows, kind === ACCESS_WRITE);
    const frameBase = walk.pageBase + ((lo & (2 ** walk.pageShift - 1) & ~0xfff) >>> 0);
    this.tlb.fill(vpn, {
      frameBase,
      pageShift: walk.pageShift,
      writable: walk.writable,
      user: walk.user,
      nx: walk.nx,
      global: walk.global,
      dirty: walk.dirty || kind === ACCESS_WRITE,
    });
    return frameBase + (lo & 0xfff);
  }

  /** Records a page fault; like hardware, it also drops any TLB entry of the faulting page. */
  private pageFault(lo: number, hi: number, vpn: number, code: number, kind: AccessKind, user: boolean, detail: string): number {
    this.tlb.invalidatePage(vpn);
    this.counters.pageFaults++;
    this.cr2Lo = lo;
    this.cr2Hi = hi;
    this.lastFault = pageFaultRecord(lo, hi, code, kind, user, detail);
    return -1;
  }

  /** Hardware sets A in every entry it used, and D in the leaf for a write. */
  private setAccessedAndDirty(addresses: number[], lows: number[], write: boolean): void {
    const last = addresses.length - 1;
    for (let i = 0; i <= last; i++) {
      const wanted = i === last && write ? PTE_A | PTE_D : PTE_A;
      const low = lows[i]!;
      if ((low & wanted) !== wanted) {
        // Re-read: the same entry may sit at two levels (a recursive slot) and already be updated.
        const current = this.memory.read32(addresses[i]!);
        this.memory.write32(addresses[i]!, current | wanted);
        this.counters.pteWrites++;
      }
    }
  }

  private walk(lo: number, hi: number, control: WalkControl): WalkResult {
    switch (this.mode) {
      case 'two-level':
        return walkTwoLevel(control, this.cr3Lo, lo);
      case 'pae':
        return walkPae(control, this.cr3Lo, this.pdptes, lo);
      case 'four-level':
        return walkLongMode(control, this.rootBase(), 4, lo, hi);
      default:
        return walkLongMode(control, this.rootBase(), 5, lo, hi);
    }
  }

  /** The inspections' walk; `checkRights` false reports the translation whatever the access rules say. */
  private inspect(lo: number, hi: number, kind: AccessKind, user: boolean, viaTlb: boolean, checkRights = true): Translation {
    const mode = this.mode;
    if (mode === 'off') {
      if (hi !== 0) throw new MachineUsageError(`translate ${hexPair(lo, hi)} with paging off: address has 32 bits`);
      return { ok: true, physical: lo >>> 0, pageShift: 12, writable: true, user: true, nx: false, global: false, source: 'paging-off' };
    }
    if (mode === 'two-level' || mode === 'pae') {
      if (hi !== 0) throw new MachineUsageError(`translate ${hexPair(lo, hi)}: linear addresses have 32 bits in ${mode}`);
    } else if (!this.isCanonical(hi)) {
      return { ok: false, fault: nonCanonical(lo, hi, mode === 'five-level' ? 57 : 48).record };
    }
    const fault = (code: number, detail: string): Translation => ({
      ok: false,
      fault: pageFaultRecord(lo, hi, code, kind, user, detail),
    });
    const cached = viaTlb ? this.tlb.lookup(pageNumber(lo, hi)) : undefined;
    const cachedCode = cached === undefined ? -1 : accessFaultCode(cached.writable, cached.user, cached.nx, kind, user, this.access);
    if (cached !== undefined && cachedCode !== -1) return fault(cachedCode, `the TLB entry's rights (${rights(cached)}) deny it`);
    if (cached !== undefined && (kind !== ACCESS_WRITE || cached.dirty)) {
      const { writable, user: userPage, nx, global, pageShift } = cached;
      return { ok: true, physical: cached.frameBase + (lo & 0xfff), pageShift, writable, user: userPage, nx, global, source: 'tlb' };
    }
    const walk = this.walk(lo, hi, this.inspectControl);
    if (!walk.ok) {
      const what = walk.reserved ? 'has a reserved bit set' : 'is not present';
      return fault(stopFaultCode(walk, kind, user, this.access), `${walk.level} at ${hex(walk.entryAddress)} ${what}`);
    }
    const code = checkRights ? accessFaultCode(walk.writable, walk.user, walk.nx, kind, user, this.access) : -1;
    if (code !== -1) return fault(code, `the page's rights (${rights(walk)}) deny it`);
    return {
      ok: true,
      physical: walk.pageBase + ((lo & (2 ** walk.pageShift - 1)) >>> 0),
      pageShift: walk.pageShift,
      writable: walk.writable,
      user: walk.user,
      nx: walk.nx,
      global: walk.global,
      source: 'walk',
    };
  }

  // ------------------------------------------------------------------ control-register plumbing

  /**
   * Installs new CR0/CR4/EFER values after their individual checks: derives the paging mode, and
   * (SDM 4.4.1) loads the PAE PDPTEs when PAE paging is on afterwards and the write changed
   * CR0.PG or CR4.PAE/PGE/PSE/SMEP. A failing load (#GP) leaves every register unchanged.
   */
  private commit(cr0: number, cr4: number, efer: number, reloadsPdptes: boolean): void {
    const mode = derivePagingMode(cr0, cr4, efer);
    let pdptes = this.pdptes;
    if (mode !== 'off' && mode !== this.mode) this.checkRootAlignment(mode, this.cr3Lo);
    if (mode === 'pae' && reloadsPdptes) pdptes = this.loadPdptes(this.cr3Lo);
    this.cr0 = cr0;
    this.cr4 = cr4;
    this.efer = efer;
    this.mode = mode;
    this.pdptes = pdptes;
    const nxe = (efer & EFER_NXE) !== 0;
    for (const control of [this.walkControl, this.inspectControl]) {
      control.nxe = nxe;
      control.pse = (cr4 & CR4_PSE) !== 0;
      control.pge = (cr4 & CR4_PGE) !== 0;
    }
    const nxEnforced = nxe && mode !== 'two-level' && mode !== 'off';
    this.access.wp = (cr0 & CR0_WP) !== 0;
    this.access.nx = nxEnforced;
    this.access.smep = (cr4 & CR4_SMEP) !== 0;
    this.access.smap = (cr4 & CR4_SMAP) !== 0;
    // SDM 4.7: I/D is reported for fetches with PAE/4-level/5-level paging and NXE, or with SMEP.
    this.access.reportFetch = nxEnforced || this.access.smep;
  }

  private loadPdptes(cr3Lo: number): Int32Array {
    try {
      return loadPdptes(this.walkControl, cr3Lo);
    } catch (error) {
      if (error instanceof GeneralProtectionError) this.lastFault = error.record;
      throw error;
    }
  }

  /**
   * The root must be aligned as its format needs: 4 KiB (bits 3 and 4 may be PWT/PCD) for 32-bit
   * and long-mode paging, 32 bytes for the PAE PDPT. Hardware would silently ignore the low bits;
   * here they are almost certainly a bug, so they are refused.
   */
  private checkRootAlignment(mode: PagingMode, cr3Lo: number): void {
    if (mode === 'off') return;
    const stray = mode === 'pae' ? cr3Lo & 0x1f : cr3Lo & 0xfe7;
    if (stray !== 0) {
      throw new MachineUsageError(
        `CR3 ${hex(cr3Lo >>> 0)} in ${mode} paging: the root must be ${mode === 'pae' ? '32-byte' : '4 KiB'} aligned`,
      );
    }
  }

  private rootBase(): number {
    return (this.cr3Hi & 0xfffff) * TWO_32 + ((this.cr3Lo & 0xfffff000) >>> 0);
  }

  private isLongMode(): boolean {
    return this.mode === 'four-level' || this.mode === 'five-level';
  }

  /** Bits 63:47 (63:56 with LA57) all equal: the high half sign-extends the lower bits. */
  private isCanonical(hi: number): boolean {
    const top = this.mode === 'five-level' ? hi >> 24 : hi >> 15;
    return top === 0 || top === -1;
  }

  private gp(detail: string): Error {
    const error = generalProtection(detail);
    this.lastFault = error.record;
    return error;
  }
}

/** SDM 4.1.1: the paging mode follows from CR0.PG, CR4.PAE, CR4.LA57 and EFER.LMA. */
export const derivePagingMode = (cr0: number, cr4: number, efer: number): PagingMode => {
  if ((cr0 & CR0_PG) === 0) return 'off';
  if ((efer & EFER_LMA) !== 0) return (cr4 & CR4_LA57) !== 0 ? 'five-level' : 'four-level';
  return (cr4 & CR4_PAE) !== 0 ? 'pae' : 'two-level';
};

/** The 4 KiB virtual page number of (lo, hi): exact, below 2^52. */
const pageNumber = (lo: number, hi: number): number => (hi >>> 0) * 0x100000 + (lo >>> 12);

const rights = (r: { writable: boolean; user: boolean; nx: boolean }): string =>
  `${r.writable ? 'writable' : 'read-only'}, ${r.user ? 'user' : 'supervisor'}${r.nx ? ', NX' : ''}`;

export const createMachine = (options: MachineOptions = {}): EmulatedMachine => new EmulatedMachine(options);
