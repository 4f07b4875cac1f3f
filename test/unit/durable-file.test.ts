import { mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { writeFileDurably } from '../../shared/src/durable-file.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'durable-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('writeFileDurably', () => {
  it('replaces the file with mode 0600 and leaves no temp file', async () => {
    const path = join(dir, 'state.json');
    await writeFile(path, 'old', { mode: 0o644 });
    await writeFileDurably(path, '{"v":2}');
    expect(await readFile(path, 'utf8')).toBe('{"v":2}');
    expect((await stat(path)).mode & 0o777).toBe(0o600);
    expect(await readdir(dir)).toEqual(['state.json']);
  });

  it('uses the temp path it is given', async () => {
    const path = join(dir, 'hub.json');
    await writeFileDurably(path, 'x', join(dir, '.hub.json.tmp'));
    expect(await readdir(dir)).toEqual(['hub.json']);
  });

  it('on a failed rename keeps the old file whole and removes the temp file', async () => {
    const path = join(dir, 'state.json');
    await mkdir(path); // a directory in its place: the rename fails after the temp file is written
    await expect(writeFileDurably(path, 'new')).rejects.toThrow();
    expect((await readdir(dir)).sort()).toEqual(['state.json']);
  });
});
