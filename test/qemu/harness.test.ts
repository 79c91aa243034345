// Proves the QEMU harness tells every way a kernel can end apart, using tiny
// fixture kernels (test/qemu/fixtures) that end in each of those ways on purpose.
import { beforeAll, describe, expect, it } from 'vitest';
import { buildFixtures, type FixtureName } from './fixtures/build.js';
import { type BootResult, bootIso, checkQemuTools, formatBootResult, judge, parseSerial } from './harness.js';

// `make test` installs QEMU and GRUB first (tools/setup.sh): missing tools are a failure, not a skip.
describe('QEMU tools', () => {
  it('are installed', () => {
    expect(checkQemuTools().missing).toEqual([]);
  });
});

// TCG boots take 0.4-2 s, slower when several share 2 cores; leave plenty.
const BOOT_TEST_MS = 60_000;

describe('serial parsing and verdict rules', () => {
  it('strips ANSI escapes and CRs and ignores loader noise before the protocol', () => {
    const parsed = parseSerial(
      '\x1b[2J\x1b[H\x1b[?25lBooting `kernel\'\r\n\r\nPASS\n\x1b[0mLOG hello\r\nPASS a.b x=0x1\r\nFAIL c.d y=0x2\r\nSUMMARY 1 1\r\n',
    );
    // "PASS" alone is a protocol line without a name: it counts, and is reported as a problem.
    expect(parsed.checks).toEqual([
      { name: '', ok: true, detail: '' },
      { name: 'a.b', ok: true, detail: 'x=0x1' },
      { name: 'c.d', ok: false, detail: 'y=0x2' },
    ]);
    expect(parsed.logs).toEqual(['hello']);
    expect(parsed.summary).toEqual({ passed: 1, failed: 1 });
    expect(parsed.problems).toEqual(['PASS line without a check name']);
  });

  it('needs status 33, a matching SUMMARY and at least one check for a pass', () => {
    const ok = (text: string, exitCode: number | null = 33, timedOut = false) =>
      judge({ exitCode, timedOut }, parseSerial(text)).verdict;
    expect(ok('PASS a v=0x1\nSUMMARY 1 0')).toBe('pass');
    expect(ok('SUMMARY 0 0')).toBe('fail'); // no check ran
    expect(ok('PASS a v=0x1')).toBe('fail'); // no SUMMARY
    expect(ok('PASS a v=0x1\nSUMMARY 1 0\nSUMMARY 1 0')).toBe('fail');
    expect(ok('PASS a v=0x1\nSUMMARY 1 0\nPASS b v=0x2')).toBe('fail'); // check after SUMMARY
    expect(ok('PASS a v=0x1\nFATAL #PF cr2=0x0\nSUMMARY 1 0')).toBe('fail');
    expect(ok('PASS a v=0x1\nSUMMARY 1 0', 35)).toBe('fail');
    expect(ok('FAIL a v=0x1', null, true)).toBe('fail'); // a FAIL outranks the timeout
    expect(ok('PASS a v=0x1', null, true)).toBe('timeout');
    expect(ok('LOG x', 0)).toBe('triple-fault');
    expect(ok('PASS a v=0x1\nSUMMARY 1 0', 1)).toBe('qemu-error');
    expect(judge({ exitCode: null, timedOut: false, error: 'spawn ENOENT' }, parseSerial('')).verdict).toBe('qemu-error');
  });
});

describe.concurrent('booting fixture kernels in QEMU', () => {
  let isos: Record<FixtureName, string>;
  beforeAll(async () => {
    isos = await buildFixtures();
  }, 120_000);

  // Prints the human report too, so a failing expectation shows what QEMU did.
  async function boot(name: FixtureName, timeoutMs?: number): Promise<BootResult> {
    const result = await bootIso({ iso: isos[name], timeoutMs });
    console.log(formatBootResult(result, name));
    return result;
  }

  it('reports a passing kernel as pass, streaming its lines', { timeout: BOOT_TEST_MS }, async () => {
    const streamed: string[] = [];
    const result = await bootIso({ iso: isos.pass, onLine: (line) => streamed.push(line) });
    expect(result.verdict, formatBootResult(result)).toBe('pass');
    expect(result.exitCode).toBe(33);
    expect(result.checks.map((c) => c.name)).toEqual(['fixture.first', 'fixture.second']);
    expect(result.checks.every((c) => c.ok)).toBe(true);
    expect(result.checks[1].detail).toBe('value=0x2');
    expect(result.summary).toEqual({ passed: 2, failed: 0 });
    expect(result.logs).toEqual(['fixture pass']);
    expect(result.fatal).toBeNull();
    expect(streamed).toContain('SUMMARY 2 0');
    expect(formatBootResult(result)).toMatch(/PASS fixture\.first value=0x1[\s\S]*PASS/);
  });

  it('reports a failing check as fail, naming it', { timeout: BOOT_TEST_MS }, async () => {
    const result = await boot('fail');
    expect(result.verdict).toBe('fail');
    expect(result.exitCode).toBe(35);
    expect(result.checks.filter((c) => !c.ok).map((c) => c.name)).toEqual(['fixture.broken']);
    expect(result.reason).toContain('fixture.broken');
    expect(result.summary).toEqual({ passed: 1, failed: 1 });
    expect(formatBootResult(result)).toContain('FAIL fixture.broken value=0xdead');
  });

  it('reports a triple fault', { timeout: BOOT_TEST_MS }, async () => {
    const result = await boot('triple-fault');
    expect(result.verdict).toBe('triple-fault');
    expect(result.exitCode).toBe(0);
    expect(result.logs).toEqual(['fixture triple-fault: loading an empty IDT']);
    expect(result.summary).toBeNull();
  });

  it('kills a kernel that never exits and reports a timeout', { timeout: BOOT_TEST_MS }, async () => {
    const result = await boot('timeout', 3000);
    expect(result.verdict).toBe('timeout');
    expect(result.exitCode).toBeNull();
    expect(result.logs).toEqual(['fixture timeout: halting forever']);
    expect(result.durationMs).toBeGreaterThanOrEqual(3000);
    expect(result.durationMs).toBeLessThan(10_000);
  });

  it('does not believe a SUMMARY that disagrees with the checks', { timeout: BOOT_TEST_MS }, async () => {
    const result = await boot('lying');
    expect(result.exitCode).toBe(33);
    expect(result.summary).toEqual({ passed: 5, failed: 0 });
    expect(result.verdict).not.toBe('pass');
    expect(result.verdict).toBe('fail');
  });

  it('reports a missing ISO as a QEMU error', { timeout: BOOT_TEST_MS }, async () => {
    const result = await bootIso({ iso: '/nonexistent/kernel.iso' });
    expect(result.verdict).toBe('qemu-error');
    expect(result.exitCode).toBe(1);
    expect(result.stderr).toMatch(/nonexistent/);
    expect(formatBootResult(result)).toContain('QEMU stderr:');
  });

  it('reports bad QEMU arguments as a QEMU error', { timeout: BOOT_TEST_MS }, async () => {
    const result = await bootIso({ iso: isos.pass, extraArgs: ['-no-such-option'] });
    expect(result.verdict).toBe('qemu-error');
    expect(result.reason).toContain('-no-such-option');
    expect(result.checks).toEqual([]);
  });
});
