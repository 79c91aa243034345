/*
 * `make bench`: the memory manager's workloads in Node and in the porffor-compiled native build,
 * side by side in one run (these machines are noisy: compare columns, not runs). Both sides use
 * the flat machine (test/support/flat-machine.ts, test/native/hosted/glue.c), so the figures
 * compare the compiled code, not the MMU. Each figure is the best of a few repetitions.
 *
 * Usage: node_modules/.bin/tsx tools/bench.ts
 */
import { buildBundleHosted } from '../test/native/bundle-build.ts';
import { FlatMachine, HOSTED_CONTROLS } from '../test/support/flat-machine.ts';
import { installMachine } from '../src/port/port.ts';
import type { Step } from '../test/native/porffor-build.ts';

const FOUR_GIB_FRAMES = 0x100000;
const REPEATS = 3;

interface Workload {
  name: string;
  /** Steps before the timed one (set-up), on a fresh machine. */
  setUp: Step[];
  timed: Step;
  /** What the timed step must return. */
  expect: (result: number) => boolean;
  /** How many units the timed step does (for the per-unit figure) and their name. */
  units: number;
  unit: string;
}

const bitmapOver = (frames: number): Step[] => [
  { call: 'frameBitmapInit', args: [frames, 0x10000000, 0, 0x100000 * 4] },
  { call: 'frameBitmapAddUsable', args: [0, frames] },
];

const workloads: Workload[] = [
  {
    name: 'allocate every frame of 4 GiB, one by one',
    setUp: bitmapOver(FOUR_GIB_FRAMES),
    timed: { call: 'benchAllocEveryFrame', args: [] },
    expect: (n) => n === FOUR_GIB_FRAMES,
    units: FOUR_GIB_FRAMES,
    unit: 'frame',
  },
  {
    name: '2 MiB-aligned run of 512 frames in a fragmented 4 GiB bitmap (one frame taken in every 1024)',
    setUp: [...bitmapOver(FOUR_GIB_FRAMES), { call: 'benchFragment', args: [0, FOUR_GIB_FRAMES - 4096, 1024, 0x1234567] }],
    timed: { call: 'benchContiguous', args: [512, 512, 200] },
    expect: (n) => n === 200,
    units: 200,
    unit: 'alloc+free',
  },
  {
    name: '1 GiB-aligned run of 262144 frames, low gigabytes fragmented (one frame in every 4096 below 3 GiB)',
    setUp: [...bitmapOver(FOUR_GIB_FRAMES), { call: 'benchFragment', args: [0, 3 * 262144, 4096, 0x7654321] }],
    timed: { call: 'benchContiguous', args: [262144, 262144, 5] },
    expect: (n) => n === 5,
    units: 5,
    unit: 'alloc+free',
  },
];

const ENTRIES = ['src/memory/frame-bitmap.ts', 'test/kernel/bench/frame-bench.ts'];
const clock: Step = { call: 'hosted_clock_us', args: [] };

const nodeRun = async (steps: Step[]): Promise<number[]> => {
  const modules: Record<string, unknown>[] = [];
  for (const entry of ENTRIES) modules.push(await import(`../${entry}`));
  const machine = new FlatMachine();
  installMachine(machine);
  return steps.map((step) => {
    if ('get' in step) throw new Error('bench steps are calls');
    if (step.call in HOSTED_CONTROLS) return (machine as unknown as Record<string, () => number>)[step.call]!();
    const f = modules.find((m) => step.call in m)?.[step.call] as (...a: number[]) => number;
    return f(...step.args);
  });
};

const measure = async (run: (steps: Step[]) => Promise<number[]>, workload: Workload): Promise<number> => {
  let best = Infinity;
  for (let k = 0; k < REPEATS; k++) {
    const results = await run([...workload.setUp, clock, workload.timed, clock]);
    const [start, result, end] = results.slice(-3) as [number, number, number];
    if (!workload.expect(result)) throw new Error(`${workload.name}: unexpected result ${result}`);
    best = Math.min(best, ((end - start) >>> 0) / 1000);
  }
  return best;
};

const native = await buildBundleHosted('bench', ENTRIES);
console.log('page bitmap, best of %d (ms total; per unit in us)', REPEATS);
console.log('| workload | Node | native | Node / native |');
console.log('| --- | --- | --- | --- |');
for (const workload of workloads) {
  const nodeMs = await measure(nodeRun, workload);
  const nativeMs = await measure(async (steps) => native.run(steps), workload);
  const per = (ms: number): string => `${ms.toFixed(1)} ms (${((ms * 1000) / workload.units).toFixed(3)} us/${workload.unit})`;
  console.log(`| ${workload.name} | ${per(nodeMs)} | ${per(nativeMs)} | ${(nodeMs / nativeMs).toFixed(2)} |`);
}
