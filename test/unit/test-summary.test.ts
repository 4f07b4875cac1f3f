import { spawnSync } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

// The script is run as npm test runs it: its compiled form, which `npm test` builds before vitest.
const SCRIPT = join(import.meta.dirname, '../../dist/scripts/test-summary.js');

let dir: string;
const report = (passed: number, failed: number, success = failed === 0) => ({
  numPassedTests: passed,
  numFailedTests: failed,
  numPendingTests: 0,
  numTodoTests: 0,
  numTotalTests: passed + failed,
  success,
});

async function summary(args: string[], reports: object[]): Promise<{ code: number | null; line: string }> {
  const files = await Promise.all(
    reports.map(async (r, i) => {
      const f = join(dir, `r${i}.json`);
      await writeFile(f, JSON.stringify(r));
      return f;
    }),
  );
  const p = spawnSync(process.execPath, [SCRIPT, ...args, ...files], { encoding: 'utf8' });
  return { code: p.status, line: p.stdout.trim() };
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'summary-'));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

describe('test summary line', () => {
  it('adds the reports and exits 0 when all passed', async () => {
    expect(await summary(['--runs-failed', '0'], [report(3, 0), report(2, 0)])).toEqual({ code: 0, line: '5 passed, 0 failed' });
  });

  it('exits 1 with the failed count when a report has failures, without a run error on top', async () => {
    expect(await summary(['--runs-failed', '1'], [report(3, 1), report(2, 0)])).toEqual({ code: 1, line: '5 passed, 1 failed' });
  });

  it('never reads "0 failed" alone when vitest exited 1 on an unhandled error with every test passed', async () => {
    const r = await summary(['--runs-failed', '1'], [report(3, 0), report(2, 0)]);
    expect(r.code).toBe(1);
    expect(r.line).toBe('5 passed, 0 failed, 1 run error (see "Unhandled Errors" above)');
  });

  it('counts a missing report as a failure', async () => {
    const p = spawnSync(process.execPath, [SCRIPT, join(dir, 'absent.json')], { encoding: 'utf8' });
    expect(p.status).toBe(1);
    expect(p.stdout.trim()).toBe('0 passed, 1 failed');
  });
});
