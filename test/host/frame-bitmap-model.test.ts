/*
 * Property test: random sequences of bitmap operations against a plain reference model (one
 * state per frame, test/host/frame-bitmap-support.ts). After every step the result, the counts,
 * every frame's state and the storage's invariants must agree with the model. fast-check prints
 * the seed and the shrunk counterexample on failure; FRAME_BITMAP_SEED=<n> replays a seed.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  frameAlloc,
  frameAllocContiguous,
  frameBitmapAddUsable,
  frameBitmapReserve,
  frameClaim,
  frameFree,
  frameFreeRange,
  frameIsFree,
  frameIsReserved,
} from '../../src/memory/frame-bitmap.ts';
import { BitmapModel, counts, frameStates, invariantViolation, setUp } from '../support/frame-bitmap-support.ts';

type Op =
  | { kind: 'alloc' }
  | { kind: 'contiguous'; count: number; align: number }
  | { kind: 'free' | 'isFree' | 'isReserved'; frame: number }
  | { kind: 'freeRange' | 'claim' | 'reserve' | 'addUsable'; first: number; count: number }
  /** The same, aimed at a frame the model says is allocated (free*) or free (claim*): pick-th of them. */
  | { kind: 'freeSome'; pick: number }
  | { kind: 'freeRangeSome' | 'claimSome'; pick: number; count: number };

/** Frames near the words' edges and the bitmap's ends are the interesting ones. */
const frameArb = (frames: number): fc.Arbitrary<number> =>
  fc.oneof(
    fc.integer({ min: 0, max: frames - 1 }),
    fc.constantFrom(0, 31, 32, 33, 63, 64, frames - 33, frames - 32, frames - 1, frames, -1).map((f) => Math.max(-1, f)),
  );

const countArb = fc.oneof(
  { weight: 6, arbitrary: fc.integer({ min: 1, max: 40 }) },
  { weight: 3, arbitrary: fc.integer({ min: 1, max: 300 }) },
  { weight: 1, arbitrary: fc.constantFrom(0, -1, 32, 64, 96, 2 ** 31 - 1) },
);

const opArb = (frames: number): fc.Arbitrary<Op> =>
  fc.oneof(
    { weight: 6, arbitrary: fc.constant<Op>({ kind: 'alloc' }) },
    {
      weight: 3,
      arbitrary: fc.record({
        kind: fc.constant('contiguous' as const),
        count: fc.oneof(fc.integer({ min: 1, max: 70 }), fc.constantFrom(0, -2, 500)),
        align: fc.constantFrom(1, 1, 2, 4, 8, 32, 64, 512, 0, 3, -4),
      }),
    },
    { weight: 4, arbitrary: fc.record({ kind: fc.constant('freeSome' as const), pick: fc.nat() }) },
    {
      weight: 3,
      arbitrary: fc.record({
        kind: fc.constantFrom('freeRangeSome' as const, 'claimSome' as const),
        pick: fc.nat(),
        count: fc.oneof(fc.integer({ min: 1, max: 8 }), fc.integer({ min: 1, max: 100 })),
      }),
    },
    { weight: 3, arbitrary: fc.record({ kind: fc.constantFrom('free' as const, 'isFree' as const, 'isReserved' as const), frame: frameArb(frames) }) },
    {
      weight: 4,
      arbitrary: fc.record({
        kind: fc.constantFrom('freeRange' as const, 'claim' as const, 'reserve' as const, 'addUsable' as const),
        first: frameArb(frames),
        count: countArb,
      }),
    },
  );

/** The pick-th frame in state `state` (modulo their number), or 0 when there is none. */
const pickFrame = (model: BitmapModel, state: string, pick: number): number => {
  const frames = model.state.flatMap((s, f) => (s === state ? [f] : []));
  return frames.length === 0 ? 0 : frames[pick % frames.length]!;
};

const apply = (op: Op, model: BitmapModel): [number, number] => {
  switch (op.kind) {
    case 'freeSome': {
      const frame = pickFrame(model, 'A', op.pick);
      return [frameFree(frame), model.free(frame)];
    }
    case 'freeRangeSome': {
      const first = pickFrame(model, 'A', op.pick);
      return [frameFreeRange(first, op.count), model.freeRange(first, op.count)];
    }
    case 'claimSome': {
      const first = pickFrame(model, 'F', op.pick);
      return [frameClaim(first, op.count), model.claim(first, op.count)];
    }
    case 'alloc':
      return [frameAlloc(), model.alloc()];
    case 'contiguous':
      return [frameAllocContiguous(op.count, op.align), model.allocContiguous(op.count, op.align)];
    case 'free':
      return [frameFree(op.frame), model.free(op.frame)];
    case 'isFree':
      return [frameIsFree(op.frame), model.isFree(op.frame)];
    case 'isReserved':
      return [frameIsReserved(op.frame), model.isReserved(op.frame)];
    case 'freeRange':
      return [frameFreeRange(op.first, op.count), model.freeRange(op.first, op.count)];
    case 'claim':
      return [frameClaim(op.first, op.count), model.claim(op.first, op.count)];
    case 'reserve':
      return [frameBitmapReserve(op.first, op.count), model.reserve(op.first, op.count)];
    case 'addUsable':
      return [frameBitmapAddUsable(op.first, op.count), model.addUsable(op.first, op.count)];
  }
};

/** Small bitmaps fill up (full words, empty summary words, exhaustion); edge sizes end on words. */
const framesArb = fc.oneof(
  { weight: 3, arbitrary: fc.integer({ min: 1, max: 160 }) },
  { weight: 1, arbitrary: fc.constantFrom(1, 2, 31, 32, 33, 64, 1024, 1056, 2048) },
  { weight: 2, arbitrary: fc.integer({ min: 161, max: 2100 }) },
);

const scenarioArb = framesArb.chain((frames) =>
    fc.record({
      frames: fc.constant(frames),
      // Most runs start like a builder: some usable ranges (often all of it), then operations.
      usable: fc.oneof(fc.constant<[number, number][]>([[0, frames]]), fc.array(fc.tuple(fc.nat(frames - 1), fc.nat(600)), { maxLength: 6 })),
      ops: fc.array(opArb(frames), { minLength: 1, maxLength: 200, size: 'max' }),
    }),
  );

const seedFromEnv = process.env.FRAME_BITMAP_SEED === undefined ? undefined : Number(process.env.FRAME_BITMAP_SEED);

describe('frame bitmap == reference model', () => {
  it('random operation sequences (results, counts, every frame, invariants after each step)', () => {
    const seed = seedFromEnv ?? (Date.now() ^ (Math.random() * 2 ** 31)) | 0;
    try {
      fc.assert(
        fc.property(scenarioArb, ({ frames, usable, ops }) => {
          const fx = setUp(frames);
          const model = new BitmapModel(frames);
          for (const [first, len] of usable) {
            const count = Math.min(Math.max(len, 1), frames - Math.min(first, frames - 1));
            expect(frameBitmapAddUsable(first, count)).toBe(model.addUsable(first, count));
          }
          ops.forEach((op, step) => {
            const [got, want] = apply(op, model);
            const where = `step ${step}: ${JSON.stringify(op)}`;
            expect(got, where).toBe(want);
            expect(counts(), where).toEqual(model.counts());
            expect(frameStates(fx), where).toBe(model.state.join(''));
            expect(invariantViolation(fx), where).toBe('');
          });
        }),
        { seed, numRuns: 400 },
      );
    } catch (error) {
      console.error(`frame bitmap property failed: replay with FRAME_BITMAP_SEED=${seed}`);
      throw error;
    }
  }, 120_000);
});
