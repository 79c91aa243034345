/*
 * Native == Node for the Multiboot2 parser and the bitmap built from it: GRUB's real blocks, the
 * fixture maps, every malformed case and seeded corruptions are written into the flat machine's
 * memory, then parsed, read back through every accessor (mb2Status after each), turned into a
 * page bitmap and a kernel heap - once through the kernel bundle compiled by porffor, once in
 * Node - and every result must be identical.
 */
import { describe, expect, it } from 'vitest';
import { buildBundleHosted, loadBundleNode } from './bundle-build.ts';
import type { Step } from './porffor-build.ts';
import { memoryMaps } from '../fixtures/memory-maps.ts';
import { buildInfo, grubBlockBytes, malformedCases } from '../support/multiboot2-builder.ts';

const ENTRIES = ['src/boot/multiboot2.ts', 'src/memory/frame-bitmap.ts', 'src/memory/physical-setup.ts', 'src/memory/kernel-heap.ts', 'src/int64/pair.ts'];
const INFO_AT = 0x10000;

const poke = (bytes: Uint8Array, at: number): Step[] => {
  const padded = new Uint8Array((bytes.length + 3) & ~3);
  padded.set(bytes);
  const view = new DataView(padded.buffer);
  const steps: Step[] = [];
  for (let offset = 0; offset < padded.length; offset += 4) {
    steps.push({ call: 'hosted_poke32', args: [(at + offset) | 0, 0, view.getInt32(offset, true)] });
  }
  return steps;
};

const withStatus = (call: string, args: number[]): Step[] => [{ call, args }, { get: 'mb2Status' }];

/** Parses the block at `at` and reads everything the parser offers. */
const parseAndRead = (at: number): Step[] => {
  const steps: Step[] = [...withStatus('mb2Parse', [at, 0])];
  for (const call of ['mb2TotalSize', 'mb2MemoryRangeCount', 'mb2ModuleCount', 'mb2CommandLinePresent', 'mb2CommandLineAddressLo', 'mb2CommandLineLength', 'mb2BasicMemoryLowerKib', 'mb2BasicMemoryUpperKib']) {
    steps.push(...withStatus(call, []));
  }
  for (let index = -1; index < 12; index++) {
    for (const call of ['mb2MemoryRangeBaseLo', 'mb2MemoryRangeBaseHi', 'mb2MemoryRangeLengthLo', 'mb2MemoryRangeLengthHi', 'mb2MemoryRangeType', 'mb2MemoryRangeEndLo', 'mb2MemoryRangeEndHi']) {
      steps.push(...withStatus(call, [index]));
    }
  }
  for (let index = -1; index < 3; index++) steps.push(...withStatus('mb2ModuleStart', [index]), ...withStatus('mb2ModuleEnd', [index]));
  return steps;
};

const counts: Step[] = ['frameCoveredCount', 'frameTotalCount', 'frameFreeCount', 'frameReservedCount', 'physicalBitmapFirstFrame', 'physicalBitmapFrames'].map(
  (call) => ({ call, args: [] }),
);

const compare = async (name: string, steps: Step[]): Promise<number[]> => {
  const native = await buildBundleHosted(`boot-memory`, ENTRIES);
  const node = loadBundleNode(ENTRIES);
  const [a, b] = [await native.run(steps), await node.run(steps)];
  const mismatches = steps.map((step, k) => ({ k, step, native: a[k], node: b[k] })).filter((r) => !Object.is(r.native, r.node));
  expect(mismatches.slice(0, 10), name).toEqual([]);
  expect(b.every((v) => Object.is(v, v | 0)), `${name}: a Node result is not an int32`).toBe(true);
  return b;
};

describe('differential: Multiboot2 parser and bitmap set-up', () => {
  it('GRUB blocks and fixture maps: parse, build the bitmap, discover the heap', async () => {
    const steps: Step[] = [];
    for (const fixture of memoryMaps) {
      if (fixture.grub) {
        steps.push(...poke(grubBlockBytes(fixture.grub), fixture.grub.address), ...parseAndRead(fixture.grub.address));
      }
      const block = buildInfo({ memoryMap: fixture.entries, commandLine: 'la57', modules: [{ start: 0x200000, end: 0x203456, string: 'm' }] });
      steps.push(...poke(block, INFO_AT), ...parseAndRead(INFO_AT));
      steps.push({ call: 'physicalMemorySetup', args: [INFO_AT, 0, INFO_AT, 0x100, 0x140, 0x100000, 0, 0] }, ...counts);
      steps.push({ call: 'frameAlloc', args: [] }, { call: 'frameAllocContiguous', args: [512, 512] });
      steps.push({ call: 'kernelHeapDiscover', args: [0x80000000 | 0, -1, 0x40000] }, { call: 'kernelHeapFirstFrame', args: [] });
      steps.push({ call: 'kernelHeapFrames', args: [] }, { call: 'kernelHeapBase', args: [] }, { get: 'pairHi' }, ...counts);
    }
    const results = await compare('fixtures', steps);
    // the sequences did real work: every set-up succeeded, every heap was found or refused
    const setups = steps.flatMap((step, k) => ('call' in step && step.call === 'physicalMemorySetup' ? [results[k]] : []));
    expect(setups).toEqual(memoryMaps.map(() => 0));
  }, 300_000);

  it('every malformed block and seeded corruptions', async () => {
    const steps: Step[] = [];
    for (const bad of malformedCases()) {
      const at = INFO_AT + (bad.addressDelta ?? 0);
      steps.push(...poke(bad.bytes, at & ~3), ...parseAndRead(at));
    }
    let seed = 0x5eed;
    const next = (n: number): number => {
      seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
      return seed % n;
    };
    const good = buildInfo({ memoryMap: memoryMaps[1]!.entries, commandLine: 'x', modules: [{ start: 0x300000, end: 0x300100, string: 'y' }] });
    for (let k = 0; k < 150; k++) {
      const corrupt = good.slice();
      for (let flips = 1 + next(3); flips > 0; flips--) corrupt[next(corrupt.length)] = next(256);
      steps.push(...poke(corrupt, INFO_AT), ...parseAndRead(INFO_AT));
    }
    await compare('malformed', steps);
  }, 300_000);
});
