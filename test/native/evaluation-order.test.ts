/*
 * Evaluation order: JS evaluates operands and arguments left to right; C leaves it unspecified.
 * porffor kept calls and global reads as pending C expressions, so `f(g(), pairHi)` could read
 * pairHi before g() set it - silently. The patch runs each call and reads each global into a
 * temporary at its place in program order. These cases fail without it (gcc evaluates
 * arguments right to left on x86-64).
 */
import { describe, expect, it } from 'vitest';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { buildHosted, runNode, PROJECT_ROOT, type Step } from './porffor-build.ts';

const SOURCE = `
let hi: number = 0;
let log: number = 0;
const setHi = (v: number): number => {
  hi = v;
  return (v + 1) | 0;
};
const note = (digit: number): number => {
  log = (log * 10 + digit) | 0;
  return digit;
};
const two = (a: number, b: number): number => (a * 1000 + b) | 0;
const three = (a: number, b: number, c: number): number => (a * 100 + b * 10 + c) | 0;
export const argumentAfterCall = (): number => {
  hi = 0;
  return two(setHi(5), hi);
};
export const argumentBeforeCall = (): number => {
  hi = 3;
  return two(hi, setHi(4));
};
export const operandAfterCall = (): number => {
  hi = 0;
  return (setHi(7) + hi * 100) | 0;
};
export const operandBeforeCall = (): number => {
  hi = 2;
  return (hi * 100 + setHi(9)) | 0;
};
export const callsInOrder = (): number => {
  log = 0;
  three(note(1), note(2), note(3));
  return log;
};
export const nestedCalls = (): number => {
  log = 0;
  return (two(note(4), three(note(5), note(6), note(7))) + log * 0) | 0;
};
export const logAfterNested = (): number => log;
`;

describe('evaluation order (native == Node)', () => {
  it('runs calls and reads globals left to right', async () => {
    const dir = join(PROJECT_ROOT, 'build/evaluation-order');
    await mkdir(dir, { recursive: true });
    const file = join(dir, 'order.ts');
    await writeFile(file, SOURCE);
    const build = await buildHosted(file);
    const steps: Step[] = ['argumentAfterCall', 'argumentBeforeCall', 'operandAfterCall', 'operandBeforeCall', 'callsInOrder', 'nestedCalls', 'logAfterNested'].map(
      (call) => ({ call, args: [] }),
    );
    const node = runNode(await import(pathToFileURL(file).href), steps);
    expect(node).toEqual([6005, 3005, 708, 210, 123, 4567, 4567]);
    expect(await build.run(steps)).toEqual(node);
  }, 120_000);
});
