/*
 * `make run`: boots every kernel of test/qemu/boots.ts in QEMU, streams its check lines and
 * prints a summary. Exits 0 only if every kernel passed.
 */
import { bootIso } from '../test/qemu/harness.ts';
import { boots } from '../test/qemu/boots.ts';

let allPassed = true;
const verdicts: string[] = [];
for (const boot of boots) {
  console.log(`== ${boot.name} (-m ${boot.memory}${boot.cpu ? `, -cpu ${boot.cpu}` : ''})`);
  const result = await bootIso({
    iso: boot.iso,
    memory: boot.memory,
    cpu: boot.cpu,
    onLine: (line: string) => console.log(`  ${line}`),
  });
  const expected = boot.expectLog ? boot.expectLog.test(result.serial) : true;
  const ok = result.verdict === 'pass' && expected;
  if (!ok) allPassed = false;
  const counts = result.summary ? `${result.summary.passed} passed, ${result.summary.failed} failed` : 'no summary';
  verdicts.push(`${boot.name}: ${ok ? 'PASS' : 'FAIL'} (${result.verdict}; ${counts}; ${result.durationMs} ms)${expected ? '' : ` missing log ${boot.expectLog}`}`);
  if (result.verdict === 'qemu-error') console.log(result.stderr);
}
console.log('== summary');
for (const line of verdicts) console.log(line);
process.exit(allPassed ? 0 : 1);
