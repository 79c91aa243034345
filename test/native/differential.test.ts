/*
 * Native == Node for the real modules: each sequence of operations runs through the kernel
 * bundle compiled by porffor (hosted, on the flat machine) and through the same source files in
 * Node (on the flat machine's twin), and every result must be identical. The conformance test
 * proves operators in isolation; this proves the modules as the kernels compile them.
 */
import { describe, expect, it } from 'vitest';
import { buildBundleHosted, loadBundleNode } from './bundle-build.ts';
import type { Step } from './porffor-build.ts';

const compare = async (name: string, entries: string[], steps: Step[]): Promise<void> => {
  const native = await buildBundleHosted(name, entries);
  const node = loadBundleNode(entries);
  const [nativeResults, nodeResults] = [await native.run(steps), await node.run(steps)];
  const mismatches = steps
    .map((step, k) => ({ step, native: nativeResults[k], node: nodeResults[k] }))
    .filter((r) => !Object.is(r.native, r.node));
  expect(mismatches.slice(0, 20)).toEqual([]);
  expect(nodeResults.every((v) => Object.is(v, v | 0))).toBe(true);
};

describe('differential: native == Node', () => {
  it('the port reaches the same memory, registers and counters', async () => {
    const steps: Step[] = [
      { call: 'portWrite32', args: [0x1000, 0, 0x12345678] },
      { call: 'portRead32', args: [0x1000, 0] },
      { call: 'hosted_set_fold', args: [0, -0x8000] },
      { call: 'portRead32', args: [0x1000, -0x8000] },
      { call: 'portWrite32', args: [0x2004, -0x8000, -1] },
      { call: 'hosted_peek32', args: [0x2004, 0] },
      { call: 'portWriteCr3', args: [0x5000, 1] },
      { call: 'portReadCr3Lo', args: [] },
      { call: 'portReadCr3Hi', args: [] },
      { call: 'portInvlpg', args: [0, 0] },
      { call: 'portFlushTlb', args: [] },
      { call: 'hosted_counter', args: [0] },
      { call: 'hosted_counter', args: [1] },
      { call: 'hosted_counter', args: [3] },
      { call: 'hosted_set_cpuid', args: [0x80000001 | 0, 3, 1 << 20] },
      { call: 'portCpuid', args: [0x80000001 | 0, 0, 3] },
      { call: 'hosted_page_count', args: [] },
    ];
    await compare('port', ['src/port/port.ts'], steps);
  }, 120_000);
});
