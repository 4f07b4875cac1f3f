import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, open, readFile, readdir, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HubClient, startHub, type LiveHub } from '../helpers/live-hub.js';
import { assertBuilt, ProcessGroup } from '../helpers/processes.js';
import { registration } from '../helpers/roles.js';

/**
 * Durability (docs/operations.md, docs/security.md): a change is acknowledged only after the data
 * file is written and fsynced, so a hub killed with SIGKILL in the middle of a burst of writes
 * comes back with every acknowledged change and a file that parses. A full or read-only data
 * directory (a real tmpfs, filled or remounted read-only) answers writes with 503 and a clear
 * message, keeps serving reads, and corrupts nothing.
 */

const run = promisify(execFile);
const group = new ProcessGroup();
let root: string;
const mounts: string[] = [];

beforeAll(async () => {
  assertBuilt();
  root = await mkdtemp(join(tmpdir(), 'vsm-durability-'));
});

afterAll(async () => {
  await group.killAll();
  for (const m of mounts) await run('umount', [m]).catch(() => undefined);
  await rm(root, { recursive: true, force: true });
});

type Ack = { id: number; user: string };

/** POST /v1/user; the registration when the hub acknowledged it (200), else undefined (refused, or the hub died). */
async function register(url: string, user: string): Promise<Ack | undefined> {
  try {
    const r = await fetch(`${url}/v1/user`, { method: 'POST', body: JSON.stringify(registration(user, false)) });
    const body = (await r.json()) as { data?: { id: number } };
    return r.status === 200 ? { id: body.data!.id, user } : undefined;
  } catch {
    return undefined; // killed mid-request: not acknowledged
  }
}

async function usersOf(api: HubClient): Promise<{ id: number; user: string }[]> {
  const r = await api.call('GET', '/v1/admin/user?pageSize=0');
  expect(r.status).toBe(200);
  return r.body.data as { id: number; user: string }[];
}

describe('kill -9 during a burst of acknowledged writes', () => {
  it('every acknowledged registration survives, over three crashes, and hub.json always parses', async () => {
    const dataDir = join(root, 'burst');
    let hub: LiveHub = await startHub(group, { dataDir });
    const acked: Ack[] = [];
    let attempted = 0;
    for (const [cycle, killAfter] of [[1, 25], [2, 60], [3, 110]] as const) {
      const before = acked.length;
      let killed = false;
      const url = hub.url;
      // 300 registrations, 40 in flight at a time; SIGKILL once `killAfter` of them were acknowledged.
      const names = Array.from({ length: 300 }, (_, i) => `c${cycle}-user-${i}`);
      let next = 0;
      const worker = async () => {
        while (next < names.length && !killed) {
          const name = names[next++]!;
          attempted++;
          const a = await register(url, name);
          if (a) acked.push(a); // a 200 is an acknowledgement, also one that raced the kill
          if (!killed && acked.length - before >= killAfter) {
            killed = true;
            hub.child.proc.kill('SIGKILL');
          }
        }
      };
      await Promise.all(Array.from({ length: 40 }, worker));
      expect(await hub.child.exited).toEqual({ code: null, signal: 'SIGKILL' });
      expect(acked.length - before).toBeGreaterThanOrEqual(killAfter);

      const text = await readFile(join(dataDir, 'hub.json'), 'utf8');
      const doc = JSON.parse(text) as { users: { id: number; user: string }[]; nextId: { user: number } };
      const onDisk = new Map(doc.users.map((u) => [u.user, u.id]));
      for (const a of acked) expect(onDisk.get(a.user), `acknowledged ${a.user} (cycle ${cycle})`).toBe(a.id);
      expect(new Set(doc.users.map((u) => u.id)).size).toBe(doc.users.length);
      expect(doc.nextId.user).toBeGreaterThan(Math.max(...doc.users.map((u) => u.id)));

      hub = await startHub(group, { dataDir });
      const api = await HubClient.login(hub.url);
      const listed = new Map((await usersOf(api)).map((u) => [u.user, u.id]));
      for (const a of acked) expect(listed.get(a.user), `after restart ${cycle}: ${a.user}`).toBe(a.id);
      // The hub goes on from the file: a new registration gets a fresh id.
      const fresh = await register(hub.url, `after-crash-${cycle}`);
      expect(fresh).toBeDefined();
      expect([...listed.values()]).not.toContain(fresh!.id);
      acked.push(fresh!);
    }
    expect(await hub.child.stop('SIGTERM')).toEqual({ code: 0, signal: null });
    process.stdout.write(`durability: ${attempted} registrations sent over 3 SIGKILLs, ${acked.length} acknowledged, all present after restart\n`);
  }, 120_000);
});

/** A tmpfs of `size` at a fresh directory: a data directory that can really fill up or turn read-only. */
async function tmpfs(name: string, size: string): Promise<string> {
  const dir = join(root, name);
  await mkdir(dir, { recursive: true });
  try {
    await run('mount', ['-t', 'tmpfs', '-o', `size=${size},mode=0700`, 'tmpfs', dir]);
  } catch (e) {
    throw new Error(`this test mounts a small tmpfs as the hub's data directory and needs root (CI runs as root): ${(e as Error).message}`);
  }
  mounts.push(dir);
  return dir;
}

/** Fills the filesystem of `dir` to the last byte with a file `filler`. */
async function fill(dir: string): Promise<void> {
  const fh = await open(join(dir, 'filler'), 'w');
  try {
    const chunk = Buffer.alloc(4096, 1);
    for (;;) await fh.write(chunk);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOSPC') throw e;
  } finally {
    await fh.close().catch(() => undefined);
  }
  // Small writes may still fit in the last partial block: fill that too.
  const fh2 = await open(join(dir, 'filler2'), 'w');
  try {
    for (;;) await fh2.write(Buffer.alloc(1, 1));
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOSPC') throw e;
  } finally {
    await fh2.close().catch(() => undefined);
  }
}

describe('a full or read-only data directory', () => {
  let hub: LiveHub;
  let api: HubClient;
  let dir: string;

  beforeAll(async () => {
    dir = await tmpfs('small', '512k');
    hub = await startHub(group, { dataDir: dir });
    api = await HubClient.login(hub.url);
    for (const u of ['kept-1', 'kept-2']) expect(await register(hub.url, u)).toBeDefined();
  }, 60_000);

  /** Writes refused with 503 and a message naming the cause; reads served; nothing on disk or in memory changed. */
  async function expectWritesRefused(cause: RegExp, tag: string): Promise<void> {
    const file = await readFile(join(dir, 'hub.json'));
    const usersBefore = await usersOf(api);
    const attempts = await Promise.all(
      Array.from({ length: 5 }, (_, i) => fetch(`${hub.url}/v1/user`, { method: 'POST', body: JSON.stringify(registration(`${tag}-${i}`, false)) })),
    );
    for (const r of attempts) {
      expect(r.status).toBe(503);
      const body = (await r.json()) as { code: number; message: string };
      expect(body.code).toBe(503);
      expect(body.message).toMatch(/the hub cannot save its data/);
      expect(body.message).toMatch(cause);
    }
    // Reads go on, and show none of the refused changes.
    expect(await usersOf(api)).toEqual(usersBefore);
    expect((await api.call('GET', '/v1/authorization')).status).toBe(200);
    expect((await fetch(`${hub.url}/v1/authorization`, { method: 'POST', body: JSON.stringify({ user: 'kept-1', password: 'Passw0rdX' }) })).status).toBe(200);
    expect((await api.call('GET', '/v1/cluster')).status).toBe(200);
    // The file is the last good one, byte for byte.
    expect(Buffer.compare(await readFile(join(dir, 'hub.json')), file)).toBe(0);
    JSON.parse(file.toString('utf8'));
    expect(hub.child.running).toBe(true);
    expect(hub.child.logs(/store write failed; unsaved changes undone/).length).toBeGreaterThan(0);
  }

  it('disk full: writes answer 503 naming the cause, reads go on, nothing is corrupted; freed space, writes work again', async () => {
    await fill(dir);
    await expectWritesRefused(/no space left on device|ENOSPC/i, 'full');
    await rm(join(dir, 'filler'));
    await rm(join(dir, 'filler2'));
    const ok = await register(hub.url, 'after-space');
    expect(ok).toBeDefined();
    expect((await usersOf(api)).map((u) => u.user)).toContain('after-space');
  });

  it('read-only: writes answer 503 naming the cause, reads go on; writable again, writes work', async () => {
    await run('mount', ['-o', 'remount,ro', dir]);
    try {
      await expectWritesRefused(/read-only file system|EROFS/i, 'ro');
    } finally {
      await run('mount', ['-o', 'remount,rw', dir]);
    }
    expect(await register(hub.url, 'after-rw')).toBeDefined();
  });

  it('after a SIGTERM and a restart, exactly the acknowledged users are there', async () => {
    expect(await hub.child.stop('SIGTERM')).toEqual({ code: 0, signal: null });
    hub = await startHub(group, { dataDir: dir });
    api = await HubClient.login(hub.url);
    const names = (await usersOf(api)).map((u) => u.user).sort();
    expect(names).toEqual(['admin', 'after-rw', 'after-space', 'kept-1', 'kept-2']);
    const left = (await readdir(dir)).filter((f) => f.startsWith('filler'));
    expect(left).toEqual([]);
    expect((await stat(join(dir, 'hub.json'))).mode & 0o777).toBe(0o600);
    expect(await hub.child.stop('SIGTERM')).toEqual({ code: 0, signal: null });
  });
});
