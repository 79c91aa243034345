/*
 * The QEMU suite: boots every kernel (built by `make kernels`) and requires each of its checks to
 * pass under the real MMU, plus what the boot must show (its paging mode).
 */
import { describe, expect, it } from 'vitest';
import { existsSync } from 'node:fs';
import { bootIso, type BootResult } from './harness.ts';
import { boots } from './boots.ts';

describe.each(boots)('kernel $name', (boot) => {
  let result: BootResult;

  it('boots and passes every check', async () => {
    expect(existsSync(boot.iso), `${boot.iso} missing: run make kernels`).toBe(true);
    result = await bootIso({ iso: boot.iso, memory: boot.memory, cpu: boot.cpu, timeoutMs: 60_000 });
    const failed = result.checks.filter((check) => !check.ok).map((check) => `${check.name} ${check.detail}`);
    expect(failed).toEqual([]);
    expect(result.fatal).toBeNull();
    expect(result.verdict).toBe('pass');
    expect(result.checks.length).toBeGreaterThan(5);
  });

  it('runs in the expected paging mode', () => {
    expect(result?.serial).toMatch(boot.expectLog ?? /./);
  });
});
