import { mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AgentFiles, type SavedDesired } from '../../agent/src/state.js';

let dir: string;
let files: AgentFiles;

const desired = (generation: number, namespaces: number): SavedDesired => ({
  generation,
  namespaces: Array.from({ length: namespaces }, (_, i) => `ns${i + 1}`),
  workloads: [],
});

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'agent-files-'));
  files = new AgentFiles(dir);
  await files.init();
});

afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('AgentFiles', () => {
  it('saves desired states arriving back to back one after another: the last one is on disk, whole', async () => {
    // A long state then a short one, at once: sharing the temp file, the short one was written over
    // the start of the long one and the mix renamed into place (185 of 200 rounds).
    for (let round = 1; round <= 50; round++) {
      const states = [desired(3 * round, 2000), desired(3 * round + 1, 1), desired(3 * round + 2, 500)];
      await Promise.all(states.map((s) => files.saveDesired(s)));
      expect(await files.loadDesired()).toEqual(states[2]);
    }
    expect(await readdir(dir)).toEqual(['desired.json']);
    expect((await stat(join(dir, 'desired.json'))).mode & 0o777).toBe(0o600);
  });

  it('a failed save rejects, leaves no temp file, and does not block the next save', async () => {
    await files.saveDesired(desired(1, 1));
    // A directory where the file should go makes the rename fail.
    const blocked = new AgentFiles(join(dir, 'sub'));
    await blocked.init();
    await mkdir(join(dir, 'sub', 'desired.json'));
    await expect(blocked.saveDesired(desired(2, 1))).rejects.toThrow();
    expect((await readdir(join(dir, 'sub'))).sort()).toEqual(['desired.json']);
    await rm(join(dir, 'sub', 'desired.json'), { recursive: true });
    await blocked.saveDesired(desired(3, 1));
    expect(await blocked.loadDesired()).toEqual(desired(3, 1));
  });

  it('an unreadable desired.json is refused on load and can be set aside', async () => {
    await writeFile(join(dir, 'desired.json'), '{"generation": 4, "namesp', { mode: 0o600 });
    await expect(files.loadDesired()).rejects.toThrow();
    await files.setAsideDesired();
    expect(await files.loadDesired()).toBeUndefined();
    expect(await readFile(join(dir, 'desired.rejected.json'), 'utf8')).toContain('namesp');
  });
});
