import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { composeFacts } from '../../agent/src/facts.js';
import { factsSchema } from '../../shared/src/protocol.js';
import { helloFor } from '../helpers/fleet.js';
import { makeTestHub, type TestHub } from '../helpers/hub.js';

let hub: TestHub;
beforeAll(async () => {
  hub = await makeTestHub();
});
afterAll(() => hub.cleanup());

const proof = (c: string) => c.repeat(40);

describe('enrollment retried by the same agent', () => {
  it('gives the same node back with a fresh credential when the enrollment proof matches', async () => {
    const first = await hub.ctx.nodes.enroll('c1', { ...helloFor('cam-1'), enrollProof: proof('a') });
    const again = await hub.ctx.nodes.enroll('c1', { ...helloFor('cam-1'), enrollProof: proof('a') });
    expect(again.node.id).toBe(first.node.id);
    expect(again.credential).not.toBe(first.credential);
    // The lost credential is dead: only the new one opens the node.
    const stored = hub.ctx.store.nodes.get(first.node.id)!;
    expect(stored.credentialHash).not.toBe(first.node.credentialHash);
    expect(hub.ctx.store.nodes.inCluster('c1')).toHaveLength(1);
  });

  it('still refuses another agent claiming the name, with or without a proof', async () => {
    await expect(hub.ctx.nodes.enroll('c1', { ...helloFor('cam-1'), enrollProof: proof('b') })).rejects.toMatchObject({ status: 409 });
    await expect(hub.ctx.nodes.enroll('c1', helloFor('cam-1'))).rejects.toMatchObject({ status: 409 });
  });

  it('refuses a retry when the first join carried no proof', async () => {
    await hub.ctx.nodes.enroll('c1', helloFor('cam-2'));
    await expect(hub.ctx.nodes.enroll('c1', { ...helloFor('cam-2'), enrollProof: proof('a') })).rejects.toMatchObject({ status: 409 });
  });
});

describe('facts the protocol accepts', () => {
  it('clips over-long strings instead of producing a hello the hub refuses', () => {
    const long = 'x'.repeat(5000);
    const f = composeFacts({ os: { platform: 'linux', kernel: long, hostname: long, arch: long, distro: long, release: long }, logicalCores: 4 });
    expect(factsSchema.safeParse(f).success).toBe(true);
    expect(f.kernelVersion).toHaveLength(128);
  });
});
