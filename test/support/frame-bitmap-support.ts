/*
 * Shared helpers of the frame bitmap tests: a machine with the bitmap set up, a decoder of the
 * bitmap's raw storage (read with the machine's inspection helpers, which count nothing), its
 * invariants, and a plain reference model of the bitmap's semantics.
 */
import { expect } from 'vitest';
import * as bitmap from '../../src/memory/frame-bitmap.ts';
import {
  ERR_DOUBLE_FREE,
  ERR_IN_USE,
  ERR_INVALID_ARGUMENT,
  ERR_OUT_OF_MEMORY,
  ERR_OUT_OF_RANGE,
  ERR_RESERVED,
  ERR_ZERO_SIZE,
} from '../../src/errors.ts';
import { installMachine } from '../../src/port/port.ts';
import { createMachine, type EmulatedMachine, type RamRange } from '../machine/index.ts';

/** Where the tests keep the bitmap's storage (physical = linear: paging is off). */
export const STORAGE = 0x10_0000;

export interface Fixture {
  machine: EmulatedMachine;
  frames: number;
  base: number;
  words: number;
  summaryWords: number;
}

/** A machine with paging off, installed in the port, and a bitmap over `frames` frames at `base`. */
export const setUp = (frames: number, options: { ramBytes?: number; ramRanges?: RamRange[]; base?: number } = {}): Fixture => {
  const machine = createMachine(options.ramRanges ? { ramRanges: options.ramRanges } : { ramBytes: options.ramBytes ?? 16 * 2 ** 20 });
  installMachine(machine);
  const base = options.base ?? STORAGE;
  const bytes = bitmap.frameBitmapStorageBytes(frames);
  expect(bitmap.frameBitmapInit(frames, base, 0, bytes)).toBe(0);
  const words = Math.ceil(frames / 32);
  return { machine, frames, base, words, summaryWords: Math.ceil(words / 32) };
};

export const popcount = (word: number): number => {
  let n = 0;
  for (let v = word >>> 0; v !== 0; v >>>= 1) n += v & 1;
  return n;
};

/** The raw words of the three sections. */
export const rawStorage = (fx: Fixture): { used: Int32Array; reserved: Int32Array; summary: Int32Array } => {
  const read = (offset: number, count: number): Int32Array => {
    const out = new Int32Array(count);
    for (let i = 0; i < count; i++) out[i] = fx.machine.readPhys32(fx.base + offset + 4 * i);
    return out;
  };
  return {
    used: read(0, fx.words),
    reserved: read(4 * fx.words, fx.words),
    summary: read(8 * fx.words, fx.summaryWords),
  };
};

/** Frame states as the storage says: 'F' free, 'A' allocated, 'R' reserved. */
export const frameStates = (fx: Fixture): string => {
  const { used, reserved } = rawStorage(fx);
  let out = '';
  for (let f = 0; f < fx.frames; f++) {
    const bit = 1 << (f & 31);
    out += (reserved[f >> 5]! & bit) !== 0 ? 'R' : (used[f >> 5]! & bit) !== 0 ? 'A' : 'F';
  }
  return out;
};

export const counts = (): number[] => [
  bitmap.frameCoveredCount(),
  bitmap.frameReservedCount(),
  bitmap.frameTotalCount(),
  bitmap.frameFreeCount(),
  bitmap.frameUsedCount(),
];

/** Everything observable: the counts and every word of the storage. */
export const snapshot = (fx: Fixture): { counts: number[]; used: number[]; reserved: number[]; summary: number[] } => {
  const raw = rawStorage(fx);
  return { counts: counts(), used: [...raw.used], reserved: [...raw.reserved], summary: [...raw.summary] };
};

/**
 * The storage's invariants: reserved => used; padding bits past frameCount set in both bitmaps;
 * a summary bit exactly for each used word with a 0 bit; no summary bit past the last word; the
 * counts equal the bits. Returns a description of the first violation, or '' when all hold.
 */
export const invariantViolation = (fx: Fixture): string => {
  const { used, reserved, summary } = rawStorage(fx);
  let free = 0;
  let reservedFrames = 0;
  for (let w = 0; w < fx.words; w++) {
    const u = used[w]!;
    const r = reserved[w]!;
    if ((r & ~u) !== 0) return `word ${w}: reserved ${r} not within used ${u}`;
    const valid = w === fx.words - 1 && fx.frames % 32 !== 0 ? (1 << fx.frames % 32) - 1 : -1;
    if ((u & ~valid) !== ~valid || (r & ~valid) !== ~valid) return `word ${w}: padding bits not set`;
    free += popcount(~u & valid);
    reservedFrames += popcount(r & valid);
    const has = (summary[w >> 5]! >>> (w & 31)) & 1;
    if (has !== (u !== -1 ? 1 : 0)) return `summary bit of word ${w} is ${has}, used word ${u}`;
  }
  for (let w = fx.words; w < fx.summaryWords * 32; w++) {
    if (((summary[w >> 5]! >>> (w & 31)) & 1) !== 0) return `summary bit ${w} past the last word`;
  }
  const c = counts();
  const expected = [fx.frames, reservedFrames, fx.frames - reservedFrames, free, fx.frames - reservedFrames - free];
  if (c.join() !== expected.join()) return `counts ${c.join()} but bits say ${expected.join()}`;
  return '';
};

export const expectInvariants = (fx: Fixture): void => {
  expect(invariantViolation(fx)).toBe('');
};

// ---------------------------------------------------------------------------------------------
// Reference model: one state per frame and the hint, every operation written the obvious way
// ---------------------------------------------------------------------------------------------

export class BitmapModel {
  /** 'F' free, 'A' allocated, 'R' reserved. */
  readonly state: string[];
  hintWord = 0;

  constructor(readonly frames: number) {
    this.state = new Array<string>(frames).fill('R');
  }

  count(s: string): number {
    return this.state.filter((x) => x === s).length;
  }

  counts(): number[] {
    const reserved = this.count('R');
    const free = this.count('F');
    return [this.frames, reserved, this.frames - reserved, free, this.frames - reserved - free];
  }

  private rangeError(first: number, count: number): number {
    if (count === 0) return ERR_ZERO_SIZE;
    if (count < 0) return ERR_INVALID_ARGUMENT;
    if (first < 0 || first >= this.frames || first + count > this.frames) return ERR_OUT_OF_RANGE;
    return 0;
  }

  addUsable(first: number, count: number): number {
    const error = this.rangeError(first, count);
    if (error !== 0) return error;
    let changed = 0;
    for (let f = first; f < first + count; f++) {
      if (this.state[f] === 'R') {
        this.state[f] = 'F';
        changed++;
      }
    }
    return changed;
  }

  reserve(first: number, count: number): number {
    if (count === 0) return ERR_ZERO_SIZE;
    if (count < 0) return ERR_INVALID_ARGUMENT;
    if (first < 0) return ERR_OUT_OF_RANGE;
    let changed = 0;
    for (let f = first; f < Math.min(this.frames, first + count); f++) {
      if (this.state[f] !== 'R') {
        this.state[f] = 'R';
        changed++;
      }
    }
    return changed;
  }

  alloc(): number {
    let found = this.state.findIndex((s, f) => s === 'F' && f >> 5 >= this.hintWord);
    if (found < 0) found = this.state.indexOf('F');
    if (found < 0) return ERR_OUT_OF_MEMORY;
    this.state[found] = 'A';
    this.hintWord = found >> 5;
    return found;
  }

  /** The lowest start of `count` free frames aligned to `align`, or -1. */
  lowestRun(count: number, align: number): number {
    for (let start = 0; start + count <= this.frames; start += align) {
      let ok = true;
      for (let f = start; f < start + count; f++) {
        if (this.state[f] !== 'F') {
          ok = false;
          break;
        }
      }
      if (ok) return start;
    }
    return -1;
  }

  allocContiguous(count: number, align: number): number {
    if (count === 0) return ERR_ZERO_SIZE;
    if (count < 0 || align <= 0 || (align & (align - 1)) !== 0) return ERR_INVALID_ARGUMENT;
    const start = this.lowestRun(count, align);
    if (start < 0) return ERR_OUT_OF_MEMORY;
    for (let f = start; f < start + count; f++) this.state[f] = 'A';
    return start;
  }

  free(frame: number): number {
    if (frame < 0 || frame >= this.frames) return ERR_OUT_OF_RANGE;
    if (this.state[frame] === 'R') return ERR_RESERVED;
    if (this.state[frame] === 'F') return ERR_DOUBLE_FREE;
    this.state[frame] = 'F';
    return 0;
  }

  freeRange(first: number, count: number): number {
    const error = this.rangeError(first, count);
    if (error !== 0) return error;
    for (let f = first; f < first + count; f++) {
      if (this.state[f] === 'R') return ERR_RESERVED;
      if (this.state[f] === 'F') return ERR_DOUBLE_FREE;
    }
    for (let f = first; f < first + count; f++) this.state[f] = 'F';
    return 0;
  }

  claim(first: number, count: number): number {
    const error = this.rangeError(first, count);
    if (error !== 0) return error;
    for (let f = first; f < first + count; f++) {
      if (this.state[f] === 'R') return ERR_RESERVED;
      if (this.state[f] === 'A') return ERR_IN_USE;
    }
    for (let f = first; f < first + count; f++) this.state[f] = 'A';
    return 0;
  }

  isFree(frame: number): number {
    if (frame < 0 || frame >= this.frames) return ERR_OUT_OF_RANGE;
    return this.state[frame] === 'F' ? 1 : 0;
  }

  isReserved(frame: number): number {
    if (frame < 0 || frame >= this.frames) return ERR_OUT_OF_RANGE;
    return this.state[frame] === 'R' ? 1 : 0;
  }
}
