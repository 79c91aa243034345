/*
 * The Multiboot2 information parser (src/boot/multiboot2.ts) on the emulated machine: every
 * validation rule and error path, every accessor, every fixture memory map (built blocks and the
 * exact blocks GRUB wrote under QEMU), and property tests against the reference decoder of
 * test/support/multiboot2-builder.ts (random valid blocks round-trip; random corruptions give the
 * decoder's verdict and never read outside the block).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import * as mb2 from '../../src/boot/multiboot2.ts';
import {
  ERR_BAD_BOOT_INFO,
  ERR_NONE,
  ERR_NOT_INITIALISED,
  ERR_NO_MEMORY_MAP,
  ERR_OUT_OF_RANGE,
  ERR_OVERFLOW,
  ERR_UNALIGNED,
} from '../../src/errors.ts';
import { installMachine, type PortMachine } from '../../src/port/port.ts';
import { memoryMaps, type MemoryMapEntry, type MemoryMapFixture } from '../fixtures/memory-maps.ts';
import { bootX86_64, createMachine, type EmulatedMachine } from '../machine/index.ts';
import {
  MAX_TOTAL_SIZE,
  TAG_COMMAND_LINE,
  TAG_MODULE,
  buildInfo,
  commandLineTag,
  decodeInfo,
  encodeInfo,
  grubBlockBytes,
  infoTags,
  malformedCases,
  memoryMapTag,
  moduleTag,
  rawTag,
  readWord,
  tagOffset,
  tagOffsets,
  usableFigures,
  withWord,
  writeInfo,
  type DecodedInfo,
  type InfoSpec,
  type ModuleSpec,
  type RawTag,
} from '../support/multiboot2-builder.ts';

// ---- helpers ----

const INFO = 0x10000;
const TWO_64 = 1n << 64n;

const u64 = (lo: number, hi: number): bigint => (BigInt(hi >>> 0) << 32n) | BigInt(lo >>> 0);
const lo32 = (value: bigint): number => Number(value & 0xffffffffn) | 0;
const hi32 = (value: bigint): number => Number((value >> 32n) & 0xffffffffn) | 0;

/** A port machine that records every read32 address and delegates to `inner`. */
const recording = (inner: PortMachine): { port: PortMachine; reads: bigint[] } => {
  const reads: bigint[] = [];
  const port = new Proxy(inner, {
    get(target, property) {
      if (property === 'read32') {
        return (lo: number, hi: number): number => {
          reads.push(u64(lo, hi));
          return target.read32(lo, hi);
        };
      }
      const value: unknown = Reflect.get(target, property);
      return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value;
    },
  });
  return { port, reads };
};

/**
 * A bare memory for addresses the emulated machine cannot reach in one mode (a block across 4 GiB
 * with 32-bit halves, the top of the 64-bit space): words in a map, zero when never written.
 */
class WordMemory implements PortMachine {
  private readonly words = new Map<bigint, number>();
  write(address: bigint, bytes: Uint8Array): void {
    if ((address & 3n) !== 0n || bytes.length % 4 !== 0) throw new Error('WordMemory: whole aligned words only');
    for (let i = 0; i < bytes.length; i += 4) this.words.set(BigInt.asUintN(64, address + BigInt(i)), readWord(bytes, i) | 0);
  }
  read32(lo: number, hi: number): number {
    if ((lo & 3) !== 0) throw new Error('WordMemory: misaligned read');
    return this.words.get(u64(lo, hi)) ?? 0;
  }
  write32(): void {
    throw new Error('the parser never writes');
  }
  private unused(): never {
    throw new Error('the parser only reads memory');
  }
  writeCr3 = (): void => this.unused();
  readCr3Lo = (): number => this.unused();
  readCr3Hi = (): number => this.unused();
  readCr0 = (): number => this.unused();
  writeCr0 = (): void => this.unused();
  readCr4 = (): number => this.unused();
  writeCr4 = (): void => this.unused();
  readEfer = (): number => this.unused();
  writeEfer = (): void => this.unused();
  invlpg = (): void => this.unused();
  flushTlb = (): void => this.unused();
  flushTlbGlobal = (): void => this.unused();
  cpuid = (): number => this.unused();
  probe = (): number => this.unused();
  faultAddrLo = (): number => this.unused();
  faultAddrHi = (): number => this.unused();
}

/** A fresh machine (64 MiB, paging off: the i386 boot state) with the block at `address`. */
const machineWith = (bytes: Uint8Array, address = INFO): EmulatedMachine => {
  const machine = createMachine();
  writeInfo(machine, address, bytes);
  installMachine(machine);
  return machine;
};

/** Writes the block on a fresh machine and parses it there. */
const parse = (bytes: Uint8Array, address = INFO): number => {
  machineWith(bytes, address);
  return mb2.mb2Parse(address, 0);
};

/** Calls an accessor and checks that mb2Status agrees with its result. */
const get = (accessor: () => number, expectedStatus = ERR_NONE): number => {
  const value = accessor();
  expect(mb2.mb2Status).toBe(expectedStatus);
  if (expectedStatus !== ERR_NONE) expect(value).toBe(expectedStatus);
  return value;
};

/** What the parser reports, through its accessors, in the reference decoder's shape. */
const parserView = (): Omit<DecodedInfo, 'status'> & { commandLineAddress: bigint } => {
  const info = u64(get(mb2.mb2InfoAddressLo), get(mb2.mb2InfoAddressHi));
  const entries = [];
  for (let i = 0; i < get(mb2.mb2MemoryRangeCount); i++) {
    entries.push({
      base: u64(get(() => mb2.mb2MemoryRangeBaseLo(i)), get(() => mb2.mb2MemoryRangeBaseHi(i))),
      length: u64(get(() => mb2.mb2MemoryRangeLengthLo(i)), get(() => mb2.mb2MemoryRangeLengthHi(i))),
      type: get(() => mb2.mb2MemoryRangeType(i)),
    });
  }
  const modules = [];
  for (let i = 0; i < get(mb2.mb2ModuleCount); i++) {
    modules.push({ start: get(() => mb2.mb2ModuleStart(i)) >>> 0, end: get(() => mb2.mb2ModuleEnd(i)) >>> 0 });
  }
  const commandLineAddress = u64(get(mb2.mb2CommandLineAddressLo), get(mb2.mb2CommandLineAddressHi));
  const present = get(mb2.mb2CommandLinePresent);
  const length = get(mb2.mb2CommandLineLength);
  const meminfo = get(mb2.mb2BasicMeminfoPresent);
  return {
    totalSize: get(mb2.mb2TotalSize),
    entries,
    modules,
    commandLine: present === 1 ? { offset: Number(BigInt.asUintN(64, commandLineAddress - info)), length, text: '' } : null,
    commandLineAddress,
    basicMeminfo:
      meminfo === 1 ? { lowerKib: get(mb2.mb2BasicMemoryLowerKib) >>> 0, upperKib: get(mb2.mb2BasicMemoryUpperKib) >>> 0 } : null,
  };
};

/** The decoder's view with the parser's type rule (types >= 2^31 read as 2) and without texts. */
const expectedView = (decoded: DecodedInfo): Omit<DecodedInfo, 'status'> => ({
  totalSize: decoded.totalSize,
  entries: decoded.entries.map((e) => ({ ...e, type: e.type >= 0x80000000 ? 2 : e.type })),
  modules: decoded.modules,
  commandLine: decoded.commandLine ? { ...decoded.commandLine, text: '' } : null,
  basicMeminfo: decoded.basicMeminfo,
});

/** Checks the parser's whole view of the parsed block against the reference decoder's. */
const expectParserMatches = (bytes: Uint8Array): void => {
  const decoded = decodeInfo(bytes);
  expect(decoded.status).toBe(ERR_NONE);
  const { commandLineAddress, ...view } = parserView();
  expect(view).toEqual(expectedView(decoded));
  if (decoded.commandLine === null) expect(commandLineAddress).toBe(0n);
};

/** The command line as the parser locates it, read from the machine's memory. */
const commandLineText = (machine: EmulatedMachine): string => {
  const address = Number(u64(mb2.mb2CommandLineAddressLo(), mb2.mb2CommandLineAddressHi()));
  const length = mb2.mb2CommandLineLength();
  const bytes = machine.readPhysBytes(address, length + 1);
  expect(bytes[length]).toBe(0);
  return new TextDecoder().decode(bytes.subarray(0, length));
};

/** Every accessor, called with index 0 where it takes one. */
const ACCESSORS: [string, () => number][] = [
  ['mb2InfoAddressLo', () => mb2.mb2InfoAddressLo()],
  ['mb2InfoAddressHi', () => mb2.mb2InfoAddressHi()],
  ['mb2TotalSize', () => mb2.mb2TotalSize()],
  ['mb2MemoryRangeCount', () => mb2.mb2MemoryRangeCount()],
  ['mb2MemoryRangeBaseLo', () => mb2.mb2MemoryRangeBaseLo(0)],
  ['mb2MemoryRangeBaseHi', () => mb2.mb2MemoryRangeBaseHi(0)],
  ['mb2MemoryRangeLengthLo', () => mb2.mb2MemoryRangeLengthLo(0)],
  ['mb2MemoryRangeLengthHi', () => mb2.mb2MemoryRangeLengthHi(0)],
  ['mb2MemoryRangeType', () => mb2.mb2MemoryRangeType(0)],
  ['mb2MemoryRangeEndLo', () => mb2.mb2MemoryRangeEndLo(0)],
  ['mb2MemoryRangeEndHi', () => mb2.mb2MemoryRangeEndHi(0)],
  ['mb2ModuleCount', () => mb2.mb2ModuleCount()],
  ['mb2ModuleStart', () => mb2.mb2ModuleStart(0)],
  ['mb2ModuleEnd', () => mb2.mb2ModuleEnd(0)],
  ['mb2CommandLinePresent', () => mb2.mb2CommandLinePresent()],
  ['mb2CommandLineAddressLo', () => mb2.mb2CommandLineAddressLo()],
  ['mb2CommandLineAddressHi', () => mb2.mb2CommandLineAddressHi()],
  ['mb2CommandLineLength', () => mb2.mb2CommandLineLength()],
  ['mb2BasicMeminfoPresent', () => mb2.mb2BasicMeminfoPresent()],
  ['mb2BasicMemoryLowerKib', () => mb2.mb2BasicMemoryLowerKib()],
  ['mb2BasicMemoryUpperKib', () => mb2.mb2BasicMemoryUpperKib()],
];

const INDEXED: [string, (i: number) => number, () => number][] = [
  ['mb2MemoryRangeBaseLo', (i) => mb2.mb2MemoryRangeBaseLo(i), () => mb2.mb2MemoryRangeCount()],
  ['mb2MemoryRangeBaseHi', (i) => mb2.mb2MemoryRangeBaseHi(i), () => mb2.mb2MemoryRangeCount()],
  ['mb2MemoryRangeLengthLo', (i) => mb2.mb2MemoryRangeLengthLo(i), () => mb2.mb2MemoryRangeCount()],
  ['mb2MemoryRangeLengthHi', (i) => mb2.mb2MemoryRangeLengthHi(i), () => mb2.mb2MemoryRangeCount()],
  ['mb2MemoryRangeType', (i) => mb2.mb2MemoryRangeType(i), () => mb2.mb2MemoryRangeCount()],
  ['mb2MemoryRangeEndLo', (i) => mb2.mb2MemoryRangeEndLo(i), () => mb2.mb2MemoryRangeCount()],
  ['mb2MemoryRangeEndHi', (i) => mb2.mb2MemoryRangeEndHi(i), () => mb2.mb2MemoryRangeCount()],
  ['mb2ModuleStart', (i) => mb2.mb2ModuleStart(i), () => mb2.mb2ModuleCount()],
  ['mb2ModuleEnd', (i) => mb2.mb2ModuleEnd(i), () => mb2.mb2ModuleCount()],
];

const expectNotParsed = (): void => {
  for (const [name, accessor] of ACCESSORS) {
    expect([name, accessor()]).toEqual([name, ERR_NOT_INITIALISED]);
    expect([name, mb2.mb2Status]).toEqual([name, ERR_NOT_INITIALISED]);
  }
};

/** The fixture's map with a command line, two modules and basic meminfo, GRUB-style. */
const fixtureSpec = (fixture: MemoryMapFixture): InfoSpec => ({
  memoryMap: fixture.entries,
  commandLine: `tsmm ${fixture.name}`,
  bootLoaderName: 'GRUB 2.06',
  modules: [
    { start: 0x200000, end: 0x203456, string: 'initrd' },
    { start: 0x204000, end: 0x204000, string: '' },
  ],
  basicMeminfo: { lowerKib: 639, upperKib: 129920 },
});

const SMALL_MAP: MemoryMapEntry[] = [
  { base: 0n, length: 0x9fc00n, type: 1 },
  { base: 0x100000n, length: 0x7ee0000n, type: 1 },
  { base: 0xfffc0000n, length: 0x40000n, type: 2 },
];

// ---- tests ----

// Runs first: the parser's module state is fresh only here.
describe('before any parse', () => {
  it('every accessor reports ERR_NOT_INITIALISED (and mb2Status says so)', () => {
    expect(mb2.mb2Status).toBe(ERR_NONE);
    expectNotParsed();
  });
});

describe('fixture memory maps', () => {
  it('cover the machines the brief names', () => {
    expect(memoryMaps.map((m) => m.name)).toEqual(['pc-128M', 'pc-4G', 'pc-6G', 'pc-64G', 'q35-128M', 'q35-4G', 'synthetic-64G']);
  });

  for (const fixture of memoryMaps) {
    describe(fixture.name, () => {
      it('its expected figures follow from its entries', () => {
        expect(usableFigures(fixture.entries)).toEqual(fixture.expected);
        expect(fixture.expected.usableFrames * 4096).toBeLessThanOrEqual(Number(fixture.expected.usableBytes));
      });

      it('parses from a built block: every accessor matches the fixture', () => {
        const bytes = buildInfo(fixtureSpec(fixture));
        const machine = machineWith(bytes);
        expect(mb2.mb2Parse(INFO, 0)).toBe(ERR_NONE);
        expect(mb2.mb2Status).toBe(ERR_NONE);
        expectParserMatches(bytes);
        const view = parserView();
        expect(view.entries).toEqual(fixture.entries.map((e) => ({ ...e })));
        expect(usableFigures(view.entries)).toEqual(fixture.expected);
        expect(view.modules).toEqual([
          { start: 0x200000, end: 0x203456 },
          { start: 0x204000, end: 0x204000 },
        ]);
        expect(commandLineText(machine)).toBe(`tsmm ${fixture.name}`);
        expect(view.basicMeminfo).toEqual({ lowerKib: 639, upperKib: 129920 });
        fixture.entries.forEach((entry, i) => {
          const end = entry.base + entry.length;
          expect(u64(get(() => mb2.mb2MemoryRangeEndLo(i)), get(() => mb2.mb2MemoryRangeEndHi(i)))).toBe(end);
        });
        expect(get(mb2.mb2TotalSize)).toBe(bytes.length);
        expect(get(mb2.mb2InfoAddressLo)).toBe(INFO);
        expect(get(mb2.mb2InfoAddressHi)).toBe(0);
      });

      const grub = fixture.grub;
      if (grub) {
        it('parses the exact block GRUB wrote, at the address GRUB chose', () => {
          const bytes = grubBlockBytes(grub);
          expect(tagOffsets(bytes).map((t) => t.type)).toEqual(grub.tagTypes);
          const machine = machineWith(bytes, grub.address);
          expect(mb2.mb2Parse(grub.address, 0)).toBe(ERR_NONE);
          expect(get(mb2.mb2TotalSize)).toBe(bytes.length);
          const view = parserView();
          expect(view.entries).toEqual(fixture.entries.map((e) => ({ ...e })));
          expect(usableFigures(view.entries)).toEqual(fixture.expected);
          expect(view.modules).toEqual(grub.modules.map((m) => ({ start: m.start, end: m.end })));
          expect(get(mb2.mb2CommandLinePresent)).toBe(1);
          expect(commandLineText(machine)).toBe(grub.commandLine);
          expect(view.basicMeminfo).toEqual({ lowerKib: grub.memLowerKib, upperKib: grub.memUpperKib });
          expect(decodeInfo(bytes).status).toBe(ERR_NONE);
          expectParserMatches(bytes);
        });
      }
    });
  }
});

describe('malformed blocks: one per rule', () => {
  for (const testCase of malformedCases()) {
    it(`${testCase.name} -> ${testCase.expected}`, () => {
      const address = INFO + (testCase.addressDelta ?? 0);
      const machine = createMachine();
      writeInfo(machine, address, testCase.bytes);
      const { port, reads } = recording(machine);
      installMachine(port);
      expect(mb2.mb2Parse(address, 0)).toBe(testCase.expected);
      expect(mb2.mb2Status).toBe(testCase.expected);
      expect(decodeInfo(testCase.bytes, address & 7).status).toBe(testCase.expected);
      // Reads: aligned, inside the declared block (only total_size when that is invalid).
      const declared = readWord(testCase.bytes, 0);
      const limit = declared >= 16 && declared <= MAX_TOTAL_SIZE && declared % 8 === 0 ? declared : 4;
      for (const read of reads) {
        expect(read & 3n).toBe(0n);
        expect(read >= BigInt(address) && read + 4n <= BigInt(address + limit)).toBe(true);
      }
      if (testCase.expected === ERR_UNALIGNED) expect(reads).toEqual([]);
      if (testCase.expected === ERR_NONE) expectParserMatches(testCase.bytes);
      else expectNotParsed();
    });
  }

  it('total_size exactly at the 1 MiB cap is accepted', () => {
    const mapTag = memoryMapTag(SMALL_MAP);
    const used = 8 + 8 + mapTag.payload.length + 8 + 8; // fixed part, map, filler header, end tag
    const bytes = encodeInfo([mapTag, rawTag(99, new Uint8Array(MAX_TOTAL_SIZE - used))]);
    expect(bytes.length).toBe(MAX_TOTAL_SIZE);
    expect(parse(bytes)).toBe(ERR_NONE);
    expect(get(mb2.mb2TotalSize)).toBe(MAX_TOTAL_SIZE);
    expect(get(mb2.mb2MemoryRangeCount)).toBe(3);
    expect(parse(withWord(bytes, 0, MAX_TOTAL_SIZE + 8))).toBe(ERR_BAD_BOOT_INFO);
  });

  it('ERR_UNALIGNED comes before reading anything, at every misalignment', () => {
    const bytes = buildInfo({ memoryMap: SMALL_MAP });
    for (let delta = 1; delta < 8; delta++) {
      const machine = createMachine();
      writeInfo(machine, INFO + delta, bytes);
      const { port, reads } = recording(machine);
      installMachine(port);
      expect(mb2.mb2Parse(INFO + delta, 0)).toBe(ERR_UNALIGNED);
      expect(reads).toEqual([]);
    }
  });
});

describe('parser state', () => {
  it('a failed parse forgets the previous result (ERR_BAD_BOOT_INFO, ERR_UNALIGNED, ERR_NO_MEMORY_MAP)', () => {
    const good = buildInfo({ memoryMap: SMALL_MAP, commandLine: 'x' });
    const failures: [Uint8Array, number, number][] = [
      [withWord(good, 0, 12), INFO, ERR_BAD_BOOT_INFO],
      [good, INFO + 4, ERR_UNALIGNED],
      [buildInfo({ memoryMap: null }), INFO, ERR_NO_MEMORY_MAP],
    ];
    for (const [bytes, address, error] of failures) {
      expect(parse(good)).toBe(ERR_NONE);
      expect(get(mb2.mb2MemoryRangeCount)).toBe(3);
      machineWith(bytes, address);
      expect(mb2.mb2Parse(address, 0)).toBe(error);
      expect(mb2.mb2Status).toBe(error);
      expectNotParsed();
    }
    expect(parse(good)).toBe(ERR_NONE);
    expectParserMatches(good);
  });

  it('a successful parse replaces the previous one', () => {
    expect(parse(buildInfo({ memoryMap: SMALL_MAP, commandLine: 'first', modules: [{ start: 1, end: 2 }] }))).toBe(ERR_NONE);
    const second = buildInfo({ memoryMap: SMALL_MAP.slice(0, 1) });
    const machine = machineWith(second, 0x20000);
    expect(mb2.mb2Parse(0x20000, 0)).toBe(ERR_NONE);
    expect(get(mb2.mb2InfoAddressLo)).toBe(0x20000);
    expect(get(mb2.mb2MemoryRangeCount)).toBe(1);
    expect(get(mb2.mb2ModuleCount)).toBe(0);
    expect(get(mb2.mb2CommandLinePresent)).toBe(0);
    expect(machine.counters.memWrites).toBe(0);
  });

  it('mb2Status follows the last accessor: an error, then success again', () => {
    expect(parse(buildInfo({ memoryMap: SMALL_MAP }))).toBe(ERR_NONE);
    expect(mb2.mb2MemoryRangeBaseLo(3)).toBe(ERR_OUT_OF_RANGE);
    expect(mb2.mb2Status).toBe(ERR_OUT_OF_RANGE);
    expect(mb2.mb2MemoryRangeBaseLo(1)).toBe(0x100000);
    expect(mb2.mb2Status).toBe(ERR_NONE);
  });

  it('the parser never writes, and reads each word of a GRUB block at most a few times', () => {
    const fixture = memoryMaps[0]!;
    const bytes = grubBlockBytes(fixture.grub!);
    const machine = createMachine();
    writeInfo(machine, fixture.grub!.address, bytes);
    const { port, reads } = recording(machine);
    installMachine(port);
    expect(mb2.mb2Parse(fixture.grub!.address, 0)).toBe(ERR_NONE);
    expect(machine.counters.memWrites).toBe(0);
    // Tag headers, the map's entry_size, module bounds and the command line's words.
    expect(reads.length).toBeLessThan(bytes.length / 4);
    expect(new Set(reads).size).toBe(reads.length);
  });
});

describe('memory map accessors', () => {
  it('index out of range: ERR_OUT_OF_RANGE for every indexed accessor', () => {
    expect(parse(buildInfo({ memoryMap: SMALL_MAP, modules: [{ start: 0x1000, end: 0x2000 }] }))).toBe(ERR_NONE);
    for (const [name, accessor, count] of INDEXED) {
      for (const index of [-1, count(), count() + 1, 0x7fffffff, -0x80000000]) {
        expect([name, index, accessor(index)]).toEqual([name, index, ERR_OUT_OF_RANGE]);
        expect(mb2.mb2Status).toBe(ERR_OUT_OF_RANGE);
      }
    }
  });

  it('an empty map parses: count 0, every index out of range', () => {
    expect(parse(buildInfo({ memoryMap: [] }))).toBe(ERR_NONE);
    expect(get(mb2.mb2MemoryRangeCount)).toBe(0);
    expect(mb2.mb2MemoryRangeType(0)).toBe(ERR_OUT_OF_RANGE);
  });

  it('reports types as given; a type >= 2^31 reads as reserved (2), never as an error code', () => {
    const types = [0, 1, 2, 3, 4, 5, 6, 7, 12, 0x7fffffff, 0x80000000, 0xfffffffc, 0xffffffff];
    const entries = types.map((type, i) => ({ base: BigInt(i) << 20n, length: 0x1000n, type }));
    expect(parse(buildInfo({ memoryMap: entries }))).toBe(ERR_NONE);
    expect(types.map((_, i) => get(() => mb2.mb2MemoryRangeType(i)))).toEqual(types.map((t) => (t >= 0x80000000 ? 2 : t)));
  });

  it('reports unsorted, overlapping and zero-length entries as they are, in order', () => {
    const entries: MemoryMapEntry[] = [
      { base: 0x200000000n, length: 0x100000000n, type: 1 },
      { base: 0x0n, length: 0x0n, type: 1 },
      { base: 0x280000000n, length: 0x1000n, type: 5 },
      { base: 0x100000n, length: 0x7f00000n, type: 1 },
      { base: 0x100000n, length: 0x1000n, type: 2 },
    ];
    expect(parse(buildInfo({ memoryMap: entries }))).toBe(ERR_NONE);
    expect(parserView().entries).toEqual(entries);
  });

  it('64-bit halves: bases and lengths above 2^31 and 2^32 and up to 2^64 - 1', () => {
    const entries: MemoryMapEntry[] = [
      { base: 0x80000000n, length: 0x80000000n, type: 1 },
      { base: 0xfffff000n, length: 0x100002000n, type: 1 },
      { base: 0x123456789abcdef0n, length: 0xfedcba9876543210n - 0x123456789abcdef0n, type: 2 },
      { base: 0xfffffffffffff000n, length: 0xfffn, type: 2 },
    ];
    expect(parse(buildInfo({ memoryMap: entries }))).toBe(ERR_NONE);
    const view = parserView();
    expect(view.entries).toEqual(entries);
    entries.forEach((entry, i) => {
      expect(get(() => mb2.mb2MemoryRangeBaseLo(i))).toBe(lo32(entry.base));
      expect(get(() => mb2.mb2MemoryRangeBaseHi(i))).toBe(hi32(entry.base));
      const end = entry.base + entry.length;
      expect(get(() => mb2.mb2MemoryRangeEndLo(i))).toBe(lo32(end));
      expect(get(() => mb2.mb2MemoryRangeEndHi(i))).toBe(hi32(end));
    });
  });

  it('end of a range: base + length, ERR_OVERFLOW from 2^64 on, base itself for length 0', () => {
    const entries: MemoryMapEntry[] = [
      { base: 0xfffffffffffff000n, length: 0x1000n, type: 2 }, // ends exactly at 2^64
      { base: 1n, length: TWO_64 - 1n, type: 2 },
      { base: TWO_64 - 1n, length: TWO_64 - 1n, type: 2 },
      { base: 0x1234n, length: 0n, type: 1 },
      { base: 0x1_0000_0000n - 1n, length: 1n, type: 1 }, // carries into the high half
    ];
    expect(parse(buildInfo({ memoryMap: entries }))).toBe(ERR_NONE);
    for (const i of [0, 1, 2]) {
      expect(get(() => mb2.mb2MemoryRangeEndLo(i), ERR_OVERFLOW)).toBe(ERR_OVERFLOW);
      expect(get(() => mb2.mb2MemoryRangeEndHi(i), ERR_OVERFLOW)).toBe(ERR_OVERFLOW);
      // the entry itself stays readable
      expect(get(() => mb2.mb2MemoryRangeLengthLo(i))).toBe(lo32(entries[i]!.length));
    }
    expect(u64(get(() => mb2.mb2MemoryRangeEndLo(3)), get(() => mb2.mb2MemoryRangeEndHi(3)))).toBe(0x1234n);
    expect(u64(get(() => mb2.mb2MemoryRangeEndLo(4)), get(() => mb2.mb2MemoryRangeEndHi(4)))).toBe(0x1_0000_0000n);
  });

  it('entries larger than 24 bytes: the extra bytes are skipped', () => {
    for (const entrySize of [32, 40, 64, 4096]) {
      const bytes = buildInfo({ memoryMap: SMALL_MAP, memoryMapOptions: { entrySize, extraByte: 0xff, entryReserved: -1 } });
      expect(parse(bytes)).toBe(ERR_NONE);
      expect(parserView().entries).toEqual(SMALL_MAP);
    }
  });
});

describe('modules', () => {
  it('none: count 0, start and end out of range', () => {
    expect(parse(buildInfo({ memoryMap: SMALL_MAP }))).toBe(ERR_NONE);
    expect(get(mb2.mb2ModuleCount)).toBe(0);
    expect(get(() => mb2.mb2ModuleStart(0), ERR_OUT_OF_RANGE)).toBe(ERR_OUT_OF_RANGE);
    expect(get(() => mb2.mb2ModuleEnd(0), ERR_OUT_OF_RANGE)).toBe(ERR_OUT_OF_RANGE);
  });

  it('several, among other tags, in order; addresses >= 2 GiB come back as bit patterns with ERR_NONE', () => {
    const modules: ModuleSpec[] = [
      { start: 0x106000, end: 0x108254, string: 'first' },
      { start: 0x80000000, end: 0x80001000, string: 'above 2 GiB' },
      { start: 0xfffff000, end: 0xfffffffc, string: '' },
      { start: 0xfffffffc, end: 0xfffffffc },
    ];
    const tags: RawTag[] = [
      moduleTag(modules[0]!),
      rawTag(2, new TextEncoder().encode('GRUB\0')),
      memoryMapTag(SMALL_MAP),
      moduleTag(modules[1]!),
      rawTag(77, new Uint8Array(13)),
      commandLineTag('a b c'),
      moduleTag(modules[2]!),
      moduleTag(modules[3]!),
    ];
    const bytes = encodeInfo(tags, { paddingByte: 0xcc });
    expect(parse(bytes)).toBe(ERR_NONE);
    expect(get(mb2.mb2ModuleCount)).toBe(4);
    modules.forEach((m, i) => {
      expect(get(() => mb2.mb2ModuleStart(i))).toBe(m.start | 0);
      expect(get(() => mb2.mb2ModuleEnd(i))).toBe(m.end | 0);
    });
    // 0xfffffffc reads as -4, which is also ERR_OUT_OF_RANGE: only mb2Status tells them apart
    expect(ERR_OUT_OF_RANGE).toBe(-4);
    expect(mb2.mb2ModuleStart(3)).toBe(-4);
    expect(mb2.mb2Status).toBe(ERR_NONE);
    expect(mb2.mb2ModuleStart(4)).toBe(ERR_OUT_OF_RANGE);
    expect(mb2.mb2Status).toBe(ERR_OUT_OF_RANGE);
    expectParserMatches(bytes);
  });

  it('a module walk that meets a tag broken after the parse reports ERR_BAD_BOOT_INFO, inside the block', () => {
    const bytes = encodeInfo([moduleTag({ start: 1, end: 2 }), rawTag(50, new Uint8Array(8)), moduleTag({ start: 3, end: 4 }), memoryMapTag(SMALL_MAP)]);
    const machine = createMachine();
    writeInfo(machine, INFO, bytes);
    const { port, reads } = recording(machine);
    installMachine(port);
    expect(mb2.mb2Parse(INFO, 0)).toBe(ERR_NONE);
    expect(get(() => mb2.mb2ModuleStart(1))).toBe(3);
    const middle = tagOffsets(bytes)[1]!.offset;
    for (const size of [0, 7, 0x7ffffff8, -8]) {
      machine.writePhys32(INFO + middle + 4, size);
      reads.length = 0;
      expect(get(() => mb2.mb2ModuleStart(1), ERR_BAD_BOOT_INFO)).toBe(ERR_BAD_BOOT_INFO);
      expect(get(() => mb2.mb2ModuleEnd(1), ERR_BAD_BOOT_INFO)).toBe(ERR_BAD_BOOT_INFO);
      expect(get(() => mb2.mb2ModuleStart(0))).toBe(1);
      for (const read of reads) expect(read >= BigInt(INFO) && read < BigInt(INFO + bytes.length)).toBe(true);
    }
    // The module tag itself turned into something else: the walk runs to the end and gives up.
    machine.writePhys32(INFO + middle + 4, 16);
    machine.writePhys32(INFO + tagOffsets(bytes)[2]!.offset, 9);
    reads.length = 0;
    expect(get(() => mb2.mb2ModuleStart(1), ERR_BAD_BOOT_INFO)).toBe(ERR_BAD_BOOT_INFO);
    expect(reads.length).toBeGreaterThan(0);
    for (const read of reads) expect(read >= BigInt(INFO) && read < BigInt(INFO + bytes.length)).toBe(true);
  });
});

describe('command line', () => {
  it('absent: present 0, address 0:0, length 0, all with ERR_NONE', () => {
    expect(parse(buildInfo({ memoryMap: SMALL_MAP }))).toBe(ERR_NONE);
    expect(get(mb2.mb2CommandLinePresent)).toBe(0);
    expect(get(mb2.mb2CommandLineAddressLo)).toBe(0);
    expect(get(mb2.mb2CommandLineAddressHi)).toBe(0);
    expect(get(mb2.mb2CommandLineLength)).toBe(0);
  });

  it('empty: present 1, length 0, the address of its NUL', () => {
    const bytes = buildInfo({ memoryMap: SMALL_MAP, commandLine: '' });
    const machine = machineWith(bytes);
    expect(mb2.mb2Parse(INFO, 0)).toBe(ERR_NONE);
    expect(get(mb2.mb2CommandLinePresent)).toBe(1);
    expect(get(mb2.mb2CommandLineLength)).toBe(0);
    expect(get(mb2.mb2CommandLineAddressLo)).toBe(INFO + tagOffset(bytes, TAG_COMMAND_LINE) + 8);
    expect(commandLineText(machine)).toBe('');
  });

  it('every length from 0 to 40 (the NUL at each byte of a word), with garbage padding', () => {
    for (let length = 0; length <= 40; length++) {
      const text = 'abcdefghijklmnopqrstuvwxyz0123456789ABCDEF'.slice(0, length);
      const bytes = buildInfo({ memoryMap: SMALL_MAP, commandLine: text }, { paddingByte: 0x41 });
      const machine = machineWith(bytes);
      expect(mb2.mb2Parse(INFO, 0)).toBe(ERR_NONE);
      expect(get(mb2.mb2CommandLineLength)).toBe(length);
      expect(commandLineText(machine)).toBe(text);
    }
  });

  it('stops at the first NUL inside the tag; counts bytes, not characters', () => {
    const early = buildInfo({ memoryMap: SMALL_MAP, commandLine: null, extraTags: [commandLineTag(new TextEncoder().encode('ab\0cd\0'))] });
    expect(parse(early)).toBe(ERR_NONE);
    expect(get(mb2.mb2CommandLineLength)).toBe(2);
    const utf8 = buildInfo({ memoryMap: SMALL_MAP, commandLine: 'é€𝄞' });
    const machine = machineWith(utf8);
    expect(mb2.mb2Parse(INFO, 0)).toBe(ERR_NONE);
    expect(get(mb2.mb2CommandLineLength)).toBe(2 + 3 + 4);
    expect(commandLineText(machine)).toBe('é€𝄞');
  });
});

describe('basic memory information', () => {
  it('absent: present 0 and both values 0; present: the values as given', () => {
    expect(parse(buildInfo({ memoryMap: SMALL_MAP }))).toBe(ERR_NONE);
    expect(get(mb2.mb2BasicMeminfoPresent)).toBe(0);
    expect(get(mb2.mb2BasicMemoryLowerKib)).toBe(0);
    expect(get(mb2.mb2BasicMemoryUpperKib)).toBe(0);
    expect(parse(buildInfo({ memoryMap: SMALL_MAP, basicMeminfo: { lowerKib: 639, upperKib: 3144576 } }))).toBe(ERR_NONE);
    expect(get(mb2.mb2BasicMeminfoPresent)).toBe(1);
    expect(get(mb2.mb2BasicMemoryLowerKib)).toBe(639);
    expect(get(mb2.mb2BasicMemoryUpperKib)).toBe(3144576);
  });
});

describe('where the block is', () => {
  it('at linear 0 and at the top of the first 64 MiB', () => {
    const bytes = buildInfo({ memoryMap: SMALL_MAP, commandLine: 'zero' });
    expect(parse(bytes, 0)).toBe(ERR_NONE);
    expect(get(mb2.mb2CommandLineAddressLo)).toBe(tagOffset(bytes, TAG_COMMAND_LINE) + 8);
    const top = 64 * 2 ** 20 - bytes.length;
    expect(parse(bytes, top)).toBe(ERR_NONE);
    expectParserMatches(bytes);
  });

  it('x86-64: through the higher-half alias 0xffffffff80000000 + physical, after bootX86_64', () => {
    const bytes = buildInfo(fixtureSpec(memoryMaps[1]!));
    const machine = createMachine();
    writeInfo(machine, INFO, bytes);
    bootX86_64(machine, { levels: 4, firstTableFrame: 0x100 });
    installMachine(machine);
    const lo = (0x80000000 + INFO) | 0;
    expect(mb2.mb2Parse(lo, -1)).toBe(ERR_NONE);
    expect(get(mb2.mb2InfoAddressLo)).toBe(lo);
    expect(get(mb2.mb2InfoAddressHi)).toBe(-1);
    expect(get(mb2.mb2CommandLineAddressHi)).toBe(-1);
    expect(get(mb2.mb2CommandLineAddressLo)).toBe((lo + tagOffset(bytes, TAG_COMMAND_LINE) + 8) | 0);
    expectParserMatches(bytes);
    expect(machine.staleTlbEntries()).toEqual([]);
  });

  it('a block across the 4 GiB line: reads carry into the high half', () => {
    const bytes = encodeInfo([moduleTag({ start: 5, end: 6 }), memoryMapTag(SMALL_MAP), commandLineTag('carry')]);
    const memory = new WordMemory();
    const address = 0x1_0000_0000n - 0x20n; // the map and the command line lie above 4 GiB
    memory.write(address, bytes);
    installMachine(memory);
    expect(mb2.mb2Parse(lo32(address), 0)).toBe(ERR_NONE);
    expectParserMatches(bytes);
    const line = address + BigInt(tagOffset(bytes, TAG_COMMAND_LINE) + 8);
    expect(u64(get(mb2.mb2CommandLineAddressLo), get(mb2.mb2CommandLineAddressHi))).toBe(line);
    expect(line > 0xffffffffn).toBe(true);
  });

  it('at the very top of the 64-bit space: ending at 2^64 is fine, wrapping past it is not', () => {
    const bytes = encodeInfo([memoryMapTag([])]);
    expect(bytes.length).toBe(32);
    const memory = new WordMemory();
    installMachine(memory);
    const top = TWO_64 - 32n;
    memory.write(top, bytes);
    expect(mb2.mb2Parse(lo32(top), hi32(top))).toBe(ERR_NONE);
    expect(get(mb2.mb2MemoryRangeCount)).toBe(0);
    const wrapping = TWO_64 - 24n;
    memory.write(wrapping, bytes.subarray(0, 24));
    expect(mb2.mb2Parse(lo32(wrapping), hi32(wrapping))).toBe(ERR_BAD_BOOT_INFO);
    expectNotParsed();
  });
});

// ---- property tests ----

const u32Arb = fc.integer({ min: 0, max: 0xffffffff });
const u64Arb = fc.bigInt({ min: 0n, max: TWO_64 - 1n });
const typeArb = fc.oneof(fc.constantFrom(1, 2, 3, 4, 5), u32Arb);
const entryArb: fc.Arbitrary<MemoryMapEntry> = fc.record({
  base: fc.oneof(u64Arb, fc.bigInt({ min: 0n, max: 1n << 40n })),
  length: fc.oneof(u64Arb, fc.bigInt({ min: 0n, max: 1n << 36n })),
  type: typeArb,
});
const textArb = fc.string({ unit: fc.integer({ min: 1, max: 0x7e }).map((c) => String.fromCharCode(c)), maxLength: 40 });
const moduleArb: fc.Arbitrary<ModuleSpec> = fc
  .tuple(u32Arb, u32Arb, textArb)
  .map(([a, b, string]) => ({ start: Math.min(a, b), end: Math.max(a, b), string }));
const UNKNOWN_TYPES = [2, 5, 7, 8, 9, 10, 14, 21, 99, 0x80000000, 0xffffffff];
const unknownTagArb: fc.Arbitrary<RawTag> = fc
  .tuple(fc.constantFrom(...UNKNOWN_TYPES), fc.uint8Array({ maxLength: 48 }))
  .map(([type, payload]) => rawTag(type, payload));

interface ValidBlock {
  bytes: Uint8Array;
  spec: InfoSpec;
}

/** Random valid blocks: every tag kind, random order, entry sizes, padding, reserved field. */
const validBlockArb: fc.Arbitrary<ValidBlock> = fc
  .record({
    entries: fc.array(entryArb, { maxLength: 24 }),
    entrySize: fc.constantFrom(24, 32, 40, 64),
    entryVersion: fc.oneof(fc.constant(0), u32Arb),
    extraByte: fc.integer({ min: 0, max: 255 }),
    commandLine: fc.option(textArb, { nil: null }),
    modules: fc.array(moduleArb, { maxLength: 6 }),
    basicMeminfo: fc.option(fc.record({ lowerKib: u32Arb, upperKib: u32Arb }), { nil: null }),
    unknown: fc.array(unknownTagArb, { maxLength: 6 }),
    order: fc.array(fc.nat(), { minLength: 24, maxLength: 24 }),
    paddingByte: fc.integer({ min: 0, max: 255 }),
    reserved: u32Arb,
  })
  .map((r) => {
    const spec: InfoSpec = {
      memoryMap: r.entries,
      memoryMapOptions: { entrySize: r.entrySize, entryVersion: r.entryVersion, extraByte: r.extraByte },
      commandLine: r.commandLine,
      modules: r.modules,
      basicMeminfo: r.basicMeminfo,
      extraTags: r.unknown,
    };
    // Shuffle the tags; modules keep their relative order, so that their indices stay comparable.
    const tags = infoTags(spec);
    const keyed = tags.map((tag, i) => ({ tag, key: r.order[i % r.order.length]! })).sort((a, b) => a.key - b.key);
    const modules = tags.filter((tag) => tag.type === TAG_MODULE);
    let next = 0;
    const ordered = keyed.map(({ tag }) => ({ tag: tag.type === TAG_MODULE ? modules[next++]! : tag }));
    return { bytes: encodeInfo(ordered.map((t) => t.tag), { paddingByte: r.paddingByte, reserved: r.reserved }), spec };
  });

/** Multiplies the property tests' run counts (e.g. MB2_PROPERTY_SCALE=20 for a long soak). */
const SCALE = Math.max(1, Number(process.env['MB2_PROPERTY_SCALE'] ?? '1') || 1);

const addressArb = fc.integer({ min: 0, max: (32 << 20) >> 3 }).map((n) => n * 8);

describe('properties', () => {
  it('random valid blocks round-trip through the parser', () => {
    fc.assert(
      fc.property(validBlockArb, addressArb, ({ bytes, spec }, address) => {
        const machine = createMachine();
        writeInfo(machine, address, bytes);
        installMachine(machine);
        expect(mb2.mb2Parse(address, 0)).toBe(ERR_NONE);
        const view = parserView();
        expect(view.totalSize).toBe(bytes.length);
        expect(view.entries).toEqual(spec.memoryMap!.map((e) => ({ ...e, type: e.type >= 0x80000000 ? 2 : e.type })));
        expect(view.modules).toEqual((spec.modules ?? []).map((m) => ({ start: m.start, end: m.end })));
        expect(view.basicMeminfo).toEqual(spec.basicMeminfo);
        if (spec.commandLine == null) {
          expect(view.commandLine).toBeNull();
        } else {
          expect(view.commandLine?.offset).toBe(tagOffset(bytes, TAG_COMMAND_LINE) + 8);
          expect(commandLineText(machine)).toBe(spec.commandLine);
        }
        spec.memoryMap!.forEach((e, i) => {
          const end = e.base + e.length;
          if (end >= TWO_64) {
            expect(get(() => mb2.mb2MemoryRangeEndLo(i), ERR_OVERFLOW)).toBe(ERR_OVERFLOW);
            expect(get(() => mb2.mb2MemoryRangeEndHi(i), ERR_OVERFLOW)).toBe(ERR_OVERFLOW);
          } else {
            expect(u64(get(() => mb2.mb2MemoryRangeEndLo(i)), get(() => mb2.mb2MemoryRangeEndHi(i)))).toBe(end);
          }
        });
        expect(decodeInfo(bytes).status).toBe(ERR_NONE);
      }),
      { numRuns: 400 * SCALE },
    );
  });

  type Mutation =
    | { kind: 'word'; at: number; value: number }
    | { kind: 'byte'; at: number; value: number }
    | { kind: 'bit'; at: number; bit: number }
    | { kind: 'size'; tag: number; delta: number }
    | { kind: 'total'; delta: number };

  const INTERESTING = [0, 1, 3, 4, 6, 7, 8, 12, 15, 16, 17, 20, 23, 24, 28, 32, 0x7fffffff, 0x80000000, 0xfffffff8, 0xffffffff];
  const mutationArb: fc.Arbitrary<Mutation> = fc.oneof(
    fc.record({ kind: fc.constant('word' as const), at: fc.nat(), value: fc.oneof(fc.constantFrom(...INTERESTING), u32Arb) }),
    fc.record({ kind: fc.constant('byte' as const), at: fc.nat(), value: fc.integer({ min: 0, max: 255 }) }),
    fc.record({ kind: fc.constant('bit' as const), at: fc.nat(), bit: fc.integer({ min: 0, max: 7 }) }),
    fc.record({ kind: fc.constant('size' as const), tag: fc.nat(), delta: fc.integer({ min: -24, max: 24 }) }),
    fc.record({ kind: fc.constant('total' as const), delta: fc.integer({ min: -32, max: 32 }) }),
  );

  const mutate = (bytes: Uint8Array, mutation: Mutation): Uint8Array => {
    const out = bytes.slice();
    const view = new DataView(out.buffer);
    switch (mutation.kind) {
      case 'word':
        view.setUint32((mutation.at % (out.length >> 2)) * 4, mutation.value >>> 0, true);
        break;
      case 'byte':
        out[mutation.at % out.length] = mutation.value;
        break;
      case 'bit':
        out[mutation.at % out.length]! ^= 1 << mutation.bit;
        break;
      case 'size': {
        const tags = tagOffsets(out);
        const tag = tags[mutation.tag % tags.length]!;
        view.setUint32(tag.offset + 4, (tag.size + mutation.delta) >>> 0, true);
        break;
      }
      case 'total':
        view.setUint32(0, (view.getUint32(0, true) + mutation.delta) >>> 0, true);
        break;
    }
    return out;
  };

  const GRUB_BLOCKS = memoryMaps.filter((m) => m.grub).map((m) => grubBlockBytes(m.grub!));
  const baseArb = fc.oneof(
    { weight: 3, arbitrary: validBlockArb.map((b) => b.bytes) },
    { weight: 1, arbitrary: fc.constantFrom(...GRUB_BLOCKS) },
    { weight: 1, arbitrary: fc.constantFrom(...malformedCases().map((c) => c.bytes)) },
  );

  it('random corruptions: the decoder\'s verdict, consistent values, no read outside the block, no crash', () => {
    const verdicts = new Map<number, number>();
    fc.assert(
      fc.property(baseArb, fc.array(mutationArb, { minLength: 1, maxLength: 4 }), addressArb, (base, mutations, address) => {
        const bytes = mutations.reduce(mutate, base);
        const machine = createMachine();
        writeInfo(machine, address, bytes);
        const { port, reads } = recording(machine);
        installMachine(port);
        const decoded = decodeInfo(bytes);
        const result = mb2.mb2Parse(address, 0);
        verdicts.set(result, (verdicts.get(result) ?? 0) + 1);
        expect(result).toBe(decoded.status);
        expect([ERR_NONE, ERR_BAD_BOOT_INFO, ERR_NO_MEMORY_MAP]).toContain(result);
        const declared = readWord(bytes, 0);
        const limit = declared >= 16 && declared <= MAX_TOTAL_SIZE && declared % 8 === 0 ? declared : 4;
        for (const read of reads) {
          expect(read & 3n).toBe(0n);
          expect(read >= BigInt(address) && read + 4n <= BigInt(address + limit)).toBe(true);
        }
        if (result === ERR_NONE) {
          const { commandLineAddress: _, ...view } = parserView();
          expect(view).toEqual(expectedView(decoded));
          for (let i = 0; i < view.entries.length; i++) {
            const end = view.entries[i]!.base + view.entries[i]!.length;
            const lo = mb2.mb2MemoryRangeEndLo(i);
            expect(mb2.mb2Status).toBe(end >= TWO_64 ? ERR_OVERFLOW : ERR_NONE);
            if (end < TWO_64) expect(lo).toBe(lo32(end));
          }
          // every accessor read stays inside the block too
          for (const read of reads) expect(read + 4n <= BigInt(address + decoded.totalSize)).toBe(true);
        } else {
          expectNotParsed();
        }
      }),
      { numRuns: 1500 * SCALE },
    );
    // The corruptions reach every verdict, not only the first check.
    expect(verdicts.get(ERR_NONE) ?? 0).toBeGreaterThan(50);
    expect(verdicts.get(ERR_BAD_BOOT_INFO) ?? 0).toBeGreaterThan(200);
    expect(verdicts.get(ERR_NO_MEMORY_MAP) ?? 0).toBeGreaterThan(0);
  });
});
