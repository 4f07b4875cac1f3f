import { mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { silentLogger } from '../../shared/src/log.js';
import { openLowdbStore, type LowdbStore } from '../../hub/src/store/lowdb-store.js';
import { emptyData, SCHEMA_VERSION, StoreOpenError } from '../../hub/src/store/migrations.js';
import { StoreWriteError, type HubData, type NewUser } from '../../hub/src/store/types.js';
import { sampleFacts } from '../helpers/fleet.js';

const newUser = (name: string): NewUser => ({
  user: name,
  passwordHash: 'scrypt$1$1$1$x$y',
  phone: '1234',
  realName: name,
  isAdmin: false,
  isSystemAdmin: false,
  status: 0,
  businessId: null,
  sessionEpoch: 0,
});

const T0 = Date.UTC(2026, 0, 1);
let dir: string;
let open: LowdbStore[] = [];

async function openStore(d = dir): Promise<LowdbStore> {
  const s = await openLowdbStore(d, silentLogger, () => T0);
  open.push(s);
  return s;
}

const fileData = async (d = dir): Promise<HubData> => JSON.parse(await readFile(join(d, 'hub.json'), 'utf8')) as HubData;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'hub-store-'));
});

afterEach(async () => {
  for (const s of open) await s.close().catch(() => {});
  open = [];
  await rm(dir, { recursive: true, force: true });
});

describe('openLowdbStore', () => {
  it('creates an empty document on first open', async () => {
    const s = await openStore();
    expect(s.writes).toBe(1);
    expect(await fileData()).toEqual(emptyData());
  });

  it('keeps data across a reopen', async () => {
    const s = await openStore();
    const u = await s.users.insert(newUser('alice'));
    const b = await s.businesses.insert({ name: 'Alpha', userId: u.id, introduce: 'i', objective: 'o', scale: 's' });
    await s.businesses.update(b.id, { status: 1, comment: 'ok' });
    await s.revocations.add({ jti: 'j1', exp: 123 });
    await s.close();
    const again = await openStore();
    expect(again.users.get(u.id)).toEqual(u);
    expect(again.users.byName('ALICE')?.id).toBe(u.id);
    expect(again.businesses.get(b.id)).toMatchObject({ name: 'Alpha', status: 1, comment: 'ok' });
    expect(again.revocations.has('j1')).toBe(true);
    expect((await again.users.insert(newUser('bob'))).id).toBe(u.id + 1);
  });

  it('refuses a corrupt file and leaves it byte-identical', async () => {
    const garbage = Buffer.from('{"schemaVersion": 1, "users": [ \u0000garbage\n');
    await writeFile(join(dir, 'hub.json'), garbage);
    const e = await openStore().catch((err: unknown) => err);
    expect(e).toBeInstanceOf(StoreOpenError);
    expect((e as Error).message).toMatch(/hub\.json is not valid JSON/);
    expect(Buffer.compare(await readFile(join(dir, 'hub.json')), garbage)).toBe(0);
    expect(await readdir(dir)).toEqual(['hub.json']);
  });

  it.each([
    ['an empty file', ''],
    ['a JSON list', '[]'],
    ['no schemaVersion', '{"users":[]}'],
    ['users that are not a list', `{"schemaVersion":${SCHEMA_VERSION},"users":{},"businesses":[],"revocations":[]}`],
  ])('refuses %s without touching it', async (_what, text) => {
    await writeFile(join(dir, 'hub.json'), text);
    await expect(openStore()).rejects.toBeInstanceOf(StoreOpenError);
    expect(await readFile(join(dir, 'hub.json'), 'utf8')).toBe(text);
  });

  it('refuses a document written by a newer hub', async () => {
    const text = JSON.stringify({ ...emptyData(), schemaVersion: SCHEMA_VERSION + 1 });
    await writeFile(join(dir, 'hub.json'), text);
    await expect(openStore()).rejects.toThrow(/newer hub/);
    expect(await readFile(join(dir, 'hub.json'), 'utf8')).toBe(text);
  });
});

describe('LowdbStore writes', () => {
  it('coalesces a burst of 200 inserts issued in one tick into very few file writes', async () => {
    const s = await openStore();
    const before = s.writes;
    const all = await Promise.all(Array.from({ length: 200 }, (_, i) => s.users.insert(newUser(`u${i}`))));
    expect(s.writes - before).toBeLessThanOrEqual(2);
    expect(new Set(all.map((u) => u.id)).size).toBe(200);
    expect((await fileData()).users).toHaveLength(200);
  });

  it('flush() waits for a write that is already under way', async () => {
    const s = await openStore();
    const inserted = s.users.insert(newUser('alice'));
    // Let the coalesced write start; then nothing is queued behind it, only in flight.
    await new Promise((r) => setImmediate(r));
    await s.flush();
    expect((await fileData()).users.map((u) => u.user)).toEqual(['alice']);
    await inserted;
  });

  it('a failed write rejects with StoreWriteError and undoes the unsaved changes', async () => {
    const s = await openStore();
    const kept = await s.users.insert(newUser('kept'));
    // The data directory vanishing makes the durable write (temp file, rename) fail for real.
    await rm(dir, { recursive: true, force: true });
    const lost = s.users.insert(newUser('lost'));
    const changed = s.users.update(kept.id, { status: 3 });
    expect(s.users.byName('lost')).toBeDefined(); // visible at once, before it is durable
    await expect(lost).rejects.toBeInstanceOf(StoreWriteError);
    await expect(changed).rejects.toThrow(/cannot save/);
    expect(s.users.byName('lost')).toBeUndefined();
    expect(s.users.get(kept.id)?.status).toBe(0);
    expect(s.users.list({ page: 1, pageSize: 0, order: 'asc', orderBy: 'id' }).total).toBe(1);

    // Once the disk is back, the store carries on from the last saved state.
    const { mkdir } = await import('node:fs/promises');
    await mkdir(dir, { recursive: true });
    const next = await s.users.insert(newUser('next'));
    expect(next.id).toBe(kept.id + 1);
    expect((await fileData()).users.map((u) => u.user)).toEqual(['kept', 'next']);
  });

  it('a write that fails also rejects and undoes changes made while it was in flight', async () => {
    const s = await openStore();
    await rm(dir, { recursive: true, force: true });
    const first = s.users.insert(newUser('first'));
    await new Promise((r) => setImmediate(r)); // the write of 'first' is now in flight
    const second = s.users.insert(newUser('second'));
    await expect(first).rejects.toBeInstanceOf(StoreWriteError);
    await expect(second).rejects.toBeInstanceOf(StoreWriteError);
    expect(s.users.byName('second')).toBeUndefined();
  });

  it('lists users by id or by name, either order, with the total before paging', async () => {
    const s = await openStore();
    for (const n of ['carol', 'Alice', 'bob', 'dave']) await s.users.insert(newUser(n));
    const names = (q: { orderBy: 'id' | 'user'; order: 'asc' | 'desc'; page?: number; pageSize?: number }) =>
      s.users.list({ page: 1, pageSize: 0, ...q }).items.map((u) => u.user);
    expect(names({ orderBy: 'id', order: 'asc' })).toEqual(['carol', 'Alice', 'bob', 'dave']);
    expect(names({ orderBy: 'id', order: 'desc' })).toEqual(['dave', 'bob', 'Alice', 'carol']);
    expect(names({ orderBy: 'user', order: 'asc' })).toEqual(['Alice', 'bob', 'carol', 'dave']);
    expect(names({ orderBy: 'user', order: 'desc', page: 2, pageSize: 3 })).toEqual(['Alice']);
    expect(s.users.list({ page: 2, pageSize: 3, order: 'asc', orderBy: 'id' }).total).toBe(4);
  });

  it('hands out copies: changing a returned record does not change the store', async () => {
    const s = await openStore();
    const u = await s.users.insert(newUser('alice'));
    const got = s.users.get(u.id)!;
    got.status = 3;
    expect(s.users.get(u.id)?.status).toBe(0);
  });
});

describe('LowdbStore node indexes', () => {
  const node = (id: string, clusterName: string, nodeName: string) => ({
    id,
    clusterName,
    nodeName,
    credentialHash: 'x',
    facts: sampleFacts(),
    agentVersion: '1',
    runtime: 'none',
  });
  const names = (rows: readonly { clusterName: string; nodeName: string }[]) => rows.map((n) => `${n.clusterName}/${n.nodeName}`);
  const label = (l: string) => ({ label: l, createTime: 1 });

  it('lists the nodes of a label in cluster then name order, following label changes, removals and a reload', async () => {
    const s = await openStore();
    for (const [id, c, n] of [['1', 'b', 'n2'], ['2', 'a', 'n9'], ['3', 'b', 'n1'], ['4', 'a', 'n1']] as const) await s.nodes.insert(node(id, c, n));
    expect(s.nodes.withLabel('gpu')).toEqual([]);
    await s.nodes.update('1', { labels: [label('gpu')] });
    await s.nodes.update('2', { labels: [label('gpu'), label('ssd')] });
    await s.nodes.update('3', { labels: [label('ssd')] });
    expect(names(s.nodes.withLabel('gpu'))).toEqual(['a/n9', 'b/n2']);
    expect(names(s.nodes.withLabel('ssd'))).toEqual(['a/n9', 'b/n1']);
    // A new node has no labels; the index still answers in order afterwards.
    await s.nodes.insert(node('5', 'a', 'n5'));
    await s.nodes.update('5', { labels: [label('gpu')] });
    expect(names(s.nodes.withLabel('gpu'))).toEqual(['a/n5', 'a/n9', 'b/n2']);
    await s.nodes.update('2', { labels: [label('ssd')] });
    expect(names(s.nodes.withLabel('gpu'))).toEqual(['a/n5', 'b/n2']);
    await s.nodes.remove('1');
    expect(names(s.nodes.withLabel('gpu'))).toEqual(['a/n5']);
    // Facts changes leave the index alone.
    await s.nodes.update('5', { facts: sampleFacts({ cpu: 64 }) });
    expect(names(s.nodes.withLabel('gpu'))).toEqual(['a/n5']);
    await s.close();
    const again = await openStore();
    expect(names(again.nodes.withLabel('ssd'))).toEqual(['a/n9', 'b/n1']);
    expect(names(again.nodes.withLabel('gpu'))).toEqual(['a/n5']);
  });
});
