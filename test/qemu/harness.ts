// Boots a test kernel ISO in QEMU (TCG) and turns its serial output and exit
// status into a verdict. Serial protocol, one line each, on COM1:
//   PASS <name> <what>=<hex> | FAIL <name> <what>=<hex>   one line per check
//   LOG <text> | FATAL <text>                              log, unexpected exception
//   SUMMARY <passed> <failed>                              last line before exit
// The kernel exits through isa-debug-exit: 0x10 -> status 33, 0x11 -> status 35.
// With -no-reboot a triple fault ends QEMU with status 0.
import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { execa } from 'execa';

export type Verdict = 'pass' | 'fail' | 'triple-fault' | 'timeout' | 'qemu-error';

export interface Check {
  name: string;
  ok: boolean;
  /** The rest of the line after the name, e.g. "frame=0x100000". */
  detail: string;
}

export interface BootOptions {
  iso: string;
  /** QEMU -m; default '128M'. */
  memory?: string;
  /** QEMU -cpu, e.g. 'max' or 'qemu64,+pdpe1gb'. */
  cpu?: string;
  /** QEMU -M, e.g. 'q35'. */
  machine?: string;
  /** Kill QEMU after this long; default 30000. */
  timeoutMs?: number;
  /** Appended to QEMU's command line. */
  extraArgs?: string[];
  /** Called with every serial line as it arrives (ANSI escapes and CRs removed). */
  onLine?: (line: string) => void;
}

export interface BootResult {
  verdict: Verdict;
  /** Why that verdict, in one sentence for humans. */
  reason: string;
  /** QEMU's exit status; null when it was killed or never started. */
  exitCode: number | null;
  checks: Check[];
  summary: { passed: number; failed: number } | null;
  /** Text after the first FATAL, or null if none was printed. */
  fatal: string | null;
  /** Text after each LOG. */
  logs: string[];
  /** All serial output, cleaned, including anything GRUB printed before the protocol. */
  serial: string;
  stderr: string;
  durationMs: number;
}

export const QEMU = 'qemu-system-x86_64';
export const STATUS_PASSED = 33; // kernel wrote 0x10
export const STATUS_FAILED = 35; // kernel wrote 0x11
export const STATUS_TRIPLE_FAULT = 0; // -no-reboot turns the reset into an exit

// CSI sequences (colours, cursor moves), OSC strings, and two-byte escapes:
// what GRUB's terminal writes if it ever reaches the serial port.
const ANSI = /\x1b(?:\[[0-?]*[ -/]*[@-~]|\][^\x07\x1b]*(?:\x07|\x1b\\)|[@-Z\\-_])/g;

/** Removes ANSI escape sequences and carriage returns from one line. */
export function cleanLine(raw: string): string {
  return raw.replace(ANSI, '').replace(/\r/g, '');
}

const PROTOCOL_LINE = /^(PASS|FAIL|LOG|FATAL|SUMMARY)(?: (.*))?$/;

export interface ParsedSerial {
  checks: Check[];
  summary: { passed: number; failed: number } | null;
  fatal: string | null;
  logs: string[];
  /** Protocol lines that break the rules (bad SUMMARY, nameless check, ...). */
  problems: string[];
}

/** Parses cleaned serial lines one at a time, so results are ready as QEMU ends. */
export class SerialParser {
  readonly parsed: ParsedSerial = { checks: [], summary: null, fatal: null, logs: [], problems: [] };

  feed(line: string): void {
    const match = PROTOCOL_LINE.exec(line);
    // Anything else (loader noise before the kernel speaks, stray output) stays
    // in the serial text but is not judged.
    if (!match) return;
    const [, kind, rest = ''] = match;
    const p = this.parsed;
    switch (kind) {
      case 'PASS':
      case 'FAIL': {
        const space = rest.indexOf(' ');
        const name = space < 0 ? rest : rest.slice(0, space);
        const detail = space < 0 ? '' : rest.slice(space + 1);
        if (name === '') p.problems.push(`${kind} line without a check name`);
        if (p.summary) p.problems.push(`${kind} ${name} after SUMMARY`);
        p.checks.push({ name, ok: kind === 'PASS', detail });
        break;
      }
      case 'LOG':
        p.logs.push(rest);
        break;
      case 'FATAL':
        p.fatal ??= rest;
        break;
      case 'SUMMARY': {
        const counts = /^(\d+) (\d+)$/.exec(rest);
        if (p.summary) p.problems.push('more than one SUMMARY line');
        if (!counts) p.problems.push(`malformed SUMMARY line: "SUMMARY ${rest}"`);
        else p.summary = { passed: Number(counts[1]), failed: Number(counts[2]) };
        break;
      }
    }
  }
}

/** Parses a whole serial transcript (for tests and for saved logs). */
export function parseSerial(text: string): ParsedSerial {
  const parser = new SerialParser();
  for (const line of text.split('\n')) parser.feed(cleanLine(line));
  return parser.parsed;
}

export interface ExitInfo {
  exitCode: number | null;
  timedOut: boolean;
  /** Set when QEMU could not be started or was killed by someone else. */
  error?: string;
}

/** The verdict rules, kept apart from process handling so they can be tested directly. */
export function judge(exit: ExitInfo, parsed: ParsedSerial): { verdict: Verdict; reason: string } {
  const { checks, summary, fatal, problems } = parsed;
  const failed = checks.filter((c) => !c.ok);
  const status = exit.timedOut ? 'timed out' : exit.exitCode === null ? 'no exit status' : `status ${exit.exitCode}`;

  // A failed check or an unexpected exception is a failure however QEMU ended.
  if (failed.length > 0) {
    return { verdict: 'fail', reason: `${failed.length} check(s) failed: ${failed.map((c) => c.name).join(', ')} (${status})` };
  }
  if (fatal !== null) return { verdict: 'fail', reason: `FATAL ${fatal} (${status})` };
  if (exit.exitCode === STATUS_FAILED) return { verdict: 'fail', reason: 'kernel exited with "failed" (status 35) but printed no FAIL line' };
  if (exit.timedOut) return { verdict: 'timeout', reason: 'kernel did not exit in time; QEMU was killed' };
  if (exit.error !== undefined) return { verdict: 'qemu-error', reason: exit.error };

  if (exit.exitCode === STATUS_PASSED) {
    // The kernel says "all passed"; believe it only if its own account adds up.
    // Anything else is a kernel bug, so it is a 'fail', not a QEMU error.
    const passed = checks.length;
    let doubt: string | null = null;
    if (problems.length > 0) doubt = problems.join('; ');
    else if (!summary) doubt = 'no SUMMARY line';
    else if (summary.passed !== passed || summary.failed !== 0) {
      doubt = `SUMMARY says ${summary.passed} passed, ${summary.failed} failed, but ${passed} PASS and 0 FAIL lines were seen`;
    } else if (passed === 0) doubt = 'no check ran';
    if (doubt) return { verdict: 'fail', reason: `kernel exited with "passed" (status 33) but ${doubt}` };
    return { verdict: 'pass', reason: `${passed} check(s) passed` };
  }

  if (exit.exitCode === STATUS_TRIPLE_FAULT) {
    // Status 0 is also what GRUB's `halt` gives after failing to load a kernel.
    const where = summary
      ? 'after SUMMARY instead of exiting through isa-debug-exit'
      : parsed.logs.length + checks.length > 0 || fatal !== null
        ? 'before SUMMARY'
        : 'before any protocol line (or GRUB failed to load the kernel)';
    return { verdict: 'triple-fault', reason: `QEMU exited with status 0 (triple fault) ${where}` };
  }
  return { verdict: 'qemu-error', reason: `QEMU exited with unexpected ${status}` };
}

/** QEMU's command line for a boot; TCG only, since nested KVM here is far slower. */
export function qemuArgs(options: BootOptions): string[] {
  const args = [
    '-cdrom', options.iso,
    '-serial', 'stdio',
    '-display', 'none',
    '-monitor', 'none',
    '-no-reboot',
    '-device', 'isa-debug-exit,iobase=0xf4,iosize=0x04',
    '-m', options.memory ?? '128M',
  ];
  if (options.cpu) args.push('-cpu', options.cpu);
  if (options.machine) args.push('-M', options.machine);
  return [...args, ...(options.extraArgs ?? [])];
}

// QEMU runs in its own process group (detached) so a timeout can kill the
// group; the same set lets a normal exit of this process take stragglers along.
const running = new Set<number>();
let exitHookInstalled = false;

function killGroup(pid: number): void {
  try {
    process.kill(-pid, 'SIGKILL');
  } catch {
    // Already gone.
  }
}

/** Boots `options.iso` in QEMU and reports what the kernel said and how QEMU ended. */
export async function bootIso(options: BootOptions): Promise<BootResult> {
  const timeoutMs = options.timeoutMs ?? 30000;
  const parser = new SerialParser();
  const lines: string[] = [];
  let callbackError: unknown = null;

  if (!exitHookInstalled) {
    exitHookInstalled = true;
    process.once('exit', () => running.forEach(killGroup));
  }

  const start = performance.now();
  const child = execa(QEMU, qemuArgs(options), {
    stdin: 'ignore', // QEMU must never wait on, or steal, the terminal
    reject: false,
    detached: true,
    // Runs once per stdout line as it arrives. It yields nothing: the cleaned
    // lines are kept here, execa need not keep a raw copy.
    // (execa types the chunk as unknown; with the default encoding it is a line.)
    stdout: function* (raw: unknown) {
      const line = cleanLine(String(raw));
      lines.push(line);
      parser.feed(line);
      if (options.onLine && callbackError === null) {
        try {
          options.onLine(line);
        } catch (error) {
          callbackError = error; // rethrown after QEMU is gone, not mid-stream
        }
      }
    },
  });

  let timedOut = false;
  const pid = child.pid;
  if (pid !== undefined) running.add(pid);
  const timer = setTimeout(() => {
    timedOut = true;
    if (pid !== undefined) killGroup(pid);
  }, timeoutMs);

  const result = await child;
  clearTimeout(timer);
  if (pid !== undefined) running.delete(pid);
  const durationMs = Math.round(performance.now() - start);
  if (callbackError !== null) throw callbackError;

  const exitCode = typeof result.exitCode === 'number' ? result.exitCode : null;
  let error: string | undefined;
  if (exitCode === null && !timedOut) {
    error = result.signal ? `QEMU was killed by ${String(result.signal)}` : `QEMU did not start: ${result.originalMessage ?? result.shortMessage}`;
  }
  const stderr = typeof result.stderr === 'string' ? result.stderr : '';
  const { verdict, reason: judged } = judge({ exitCode, timedOut, error }, parser.parsed);
  let reason = judged;
  // QEMU says why it refused (bad option, missing ISO) on its first stderr line.
  const firstStderrLine = stderr.trim().split('\n')[0];
  if (verdict === 'qemu-error' && error === undefined && firstStderrLine) reason += `: ${firstStderrLine}`;
  const { checks, summary, fatal, logs } = parser.parsed;
  return {
    verdict,
    reason,
    exitCode,
    checks,
    summary,
    fatal,
    logs,
    serial: lines.join('\n'),
    stderr: error && stderr === '' ? error : stderr,
    durationMs,
  };
}

/** A BootResult for humans: a line per check, then the verdict and why. */
export function formatBootResult(result: BootResult, label = 'boot'): string {
  const out = result.checks.map((c) => `  ${c.ok ? 'PASS' : 'FAIL'} ${c.name}${c.detail ? ` ${c.detail}` : ''}`);
  if (result.fatal !== null) out.push(`  FATAL ${result.fatal}`);
  if (result.summary) out.push(`  SUMMARY ${result.summary.passed} passed, ${result.summary.failed} failed`);
  if (result.verdict !== 'pass' && result.verdict !== 'fail') {
    // No check explains these; the last things the kernel and QEMU said might.
    const tail = result.serial.split('\n').filter((l) => l !== '').slice(-10);
    if (tail.length > 0) out.push('  last serial lines:', ...tail.map((l) => `    ${l}`));
    const stderr = result.stderr.trim();
    if (stderr) out.push('  QEMU stderr:', ...stderr.split('\n').slice(-10).map((l) => `    ${l}`));
  }
  const status = result.exitCode === null ? 'no status' : `status ${result.exitCode}`;
  const seconds = (result.durationMs / 1000).toFixed(2);
  out.push(`${label}: ${result.verdict.toUpperCase()} - ${result.reason} [${status}, ${seconds} s]`);
  return out.join('\n');
}

function onPath(command: string): boolean {
  return (process.env.PATH ?? '').split(delimiter).some((dir) => {
    try {
      accessSync(join(dir, command), constants.X_OK);
      return true;
    } catch {
      return false;
    }
  });
}

/**
 * Whether the QEMU tests can run: qemu-system-x86_64 and grub-mkrescue, plus
 * xorriso and mformat, without which grub-mkrescue fails with a vague message.
 * Synchronous so it can feed `describe.skipIf`.
 */
export function checkQemuTools(): { ok: boolean; missing: string[] } {
  const missing = [QEMU, 'grub-mkrescue', 'xorriso', 'mformat'].filter((c) => !onPath(c));
  return { ok: missing.length === 0, missing };
}
