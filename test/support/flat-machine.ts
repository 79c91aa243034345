/*
 * The flat machine: the Node twin of test/native/hosted/glue.c, for the differential tests.
 *
 * Sparse memory, plain control registers and counters, no MMU: a linear address at or above the
 * fold base (when non-zero) reaches physical (address - base), below it physical = linear. The
 * native build follows the same rules, so the manager's results must be identical on both sides.
 * One exception to "no MMU": a walked window (hosted_set_walk_window; end 0:0 = 2^64) whose
 * x86-64 addresses are walked from CR3 through the tables in memory, 4 KiB pages only, as the MMU
 * walks a self-map or temporary-slot address - so the recursive strategy runs on both sides.
 * Tests that check the MMU use the emulated machine (test/machine/) instead.
 */
import type { PortMachine } from '../../src/port/port.ts';

const CPUID_LEAVES = [0x1, 0x7, 0x80000001 | 0, 0x80000008 | 0];
/** Counter numbers, as hosted_counter() in glue.c numbers them. */
export const FLAT_COUNTERS = { reads: 0, writes: 1, cr3Writes: 2, invlpg: 3, fullFlushes: 4, globalFlushes: 5 } as const;

const toBig = (lo: number, hi: number): bigint => (BigInt(hi >>> 0) << 32n) | BigInt(lo >>> 0);

export class FlatMachine implements PortMachine {
  private readonly pages = new Map<bigint, Int32Array>();
  private foldBase = 0n;
  private cr3 = 0n;
  private cr0 = 0;
  private cr4 = 0;
  private efer = 0;
  readonly counters = new Int32Array(6);
  private readonly cpuidValues = CPUID_LEAVES.map(() => new Int32Array(4));

  private selfBase = 0n;
  private selfEnd = 0n;
  private selfLevels = 0;

  private physicalWord(physical: bigint): number {
    const page = this.pages.get(physical >> 12n);
    return page ? page[Number((physical & 4095n) >> 2n)] : 0;
  }

  private selfMapWalk(address: bigint): bigint {
    let table = this.cr3 & ~4095n;
    for (let level = this.selfLevels; level >= 1; level--) {
      const index = (address >> BigInt(12 + 9 * (level - 1))) & 511n;
      const entry = toBig(this.physicalWord(table + index * 8n), this.physicalWord(table + index * 8n + 4n));
      if ((entry & 1n) === 0n) throw new Error(`flat machine: self-map address 0x${address.toString(16)} not mapped`);
      table = entry & 0x000ffffffffff000n;
    }
    return table + (address & 4095n);
  }

  private physical(address: bigint): bigint {
    if (this.selfLevels !== 0 && address >= this.selfBase && (this.selfEnd === 0n || address < this.selfEnd)) return this.selfMapWalk(address);
    return this.foldBase !== 0n && address >= this.foldBase ? address - this.foldBase : address;
  }

  private word(lo: number, hi: number, create: boolean): { page: Int32Array; index: number } | null {
    const address = toBig(lo, hi);
    if ((address & 3n) !== 0n) throw new Error(`flat machine: unaligned access at 0x${address.toString(16)}`);
    const physical = this.physical(address);
    const key = physical >> 12n;
    let page = this.pages.get(key);
    if (!page) {
      if (!create) return null;
      page = new Int32Array(1024);
      this.pages.set(key, page);
    }
    return { page, index: Number((physical & 4095n) >> 2n) };
  }

  read32(lo: number, hi: number): number {
    this.counters[0]++;
    return this.peek32(lo, hi);
  }
  write32(lo: number, hi: number, value: number): void {
    this.counters[1]++;
    this.poke32(lo, hi, value);
  }
  writeCr3(lo: number, hi: number): void {
    this.counters[2]++;
    this.cr3 = toBig(lo, hi);
  }
  readCr3Lo(): number {
    return Number(this.cr3 & 0xffffffffn) | 0;
  }
  readCr3Hi(): number {
    return Number(this.cr3 >> 32n) | 0;
  }
  readCr0(): number {
    return this.cr0;
  }
  writeCr0(value: number): void {
    this.cr0 = value | 0;
  }
  readCr4(): number {
    return this.cr4;
  }
  writeCr4(value: number): void {
    this.cr4 = value | 0;
  }
  readEfer(): number {
    return this.efer;
  }
  writeEfer(value: number): void {
    this.efer = value | 0;
  }
  invlpg(): void {
    this.counters[3]++;
  }
  flushTlb(): void {
    this.counters[4]++;
  }
  flushTlbGlobal(): void {
    this.counters[5]++;
  }
  cpuid(leaf: number, _subleaf: number, reg: number): number {
    const index = CPUID_LEAVES.indexOf(leaf | 0);
    return index < 0 || reg < 0 || reg > 3 ? 0 : this.cpuidValues[index][reg];
  }
  /** No MMU: every probe succeeds (glue.c does the same). */
  probe(): number {
    return -1;
  }
  faultAddrLo(): number {
    return 0;
  }
  faultAddrHi(): number {
    return 0;
  }

  // ---- the hosted_* controls of glue.c, under the same names ----
  hosted_set_fold(lo: number, hi: number): number {
    this.foldBase = toBig(lo, hi);
    return 0;
  }
  hosted_set_walk_window(lo: number, hi: number, endLo: number, endHi: number, levels: number): number {
    this.selfBase = toBig(lo, hi);
    this.selfEnd = toBig(endLo, endHi);
    this.selfLevels = levels;
    return 0;
  }
  hosted_peek32(lo: number, hi: number): number {
    return this.peek32(lo, hi);
  }
  hosted_poke32(lo: number, hi: number, value: number): number {
    this.poke32(lo, hi, value);
    return 0;
  }
  hosted_counter(which: number): number {
    return which >= 0 && which < 6 ? this.counters[which] : 0;
  }
  hosted_set_cpuid(leaf: number, reg: number, value: number): number {
    const index = CPUID_LEAVES.indexOf(leaf | 0);
    if (index < 0 || reg < 0 || reg > 3) return -1;
    this.cpuidValues[index][reg] = value | 0;
    return 0;
  }
  hosted_page_count(): number {
    return this.pages.size;
  }
  /** Microseconds of a monotonic clock, wrapping at 2^32 (as glue.c). */
  hosted_clock_us(): number {
    return Number(process.hrtime.bigint() / 1000n) | 0;
  }

  peek32(lo: number, hi: number): number {
    const at = this.word(lo, hi, false);
    return at ? at.page[at.index] : 0;
  }
  poke32(lo: number, hi: number, value: number): void {
    const at = this.word(lo, hi, true)!;
    at.page[at.index] = value | 0;
  }
}

/** The controls a differential step may call besides the TypeScript's functions: name -> arity. */
export const HOSTED_CONTROLS: Record<string, number> = {
  hosted_set_fold: 2,
  hosted_set_walk_window: 5,
  hosted_peek32: 2,
  hosted_poke32: 3,
  hosted_counter: 1,
  hosted_set_cpuid: 3,
  hosted_page_count: 0,
  hosted_clock_us: 0,
};
