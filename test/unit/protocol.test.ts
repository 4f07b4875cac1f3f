import { describe, expect, it } from 'vitest';
import type { z } from 'zod';
import { decode, encode } from '../../shared/src/codec.js';
import {
  agentMessage,
  hubMessage,
  parseAgentMessage,
  parseHubMessage,
  PROTOCOL_VERSION,
} from '../../shared/src/protocol.js';
import { helloFor, sampleFacts } from '../helpers/fleet.js';

type AgentIn = z.input<typeof agentMessage>;
type HubIn = z.input<typeof hubMessage>;

/** Generations are seeded from the clock, so they exceed 32 bits; they must survive msgpack. */
const BIG_GENERATION = 1_796_395_586_123;

const agentSamples: AgentIn[] = [
  helloFor('edge-01'),
  { ...helloFor('GZ.cam_2'), runtime: 'docker', facts: sampleFacts({ hostname: 'gz-cam-2', arch: 'x64', distro: 'Debian 12', gpu: 8 * 1024 ** 3 }) },
  { type: 'heartbeat', seq: 0, cpuLoad: 0, memLoad: 100 },
  { type: 'heartbeat', seq: 123_456, cpuLoad: 12.5, memLoad: 99.9 },
  { type: 'facts', facts: sampleFacts({ cpu: 64, memory: 512 * 1024 ** 3 }) },
  { type: 'ack', generation: BIG_GENERATION },
  { type: 'status', generation: BIG_GENERATION, namespaces: ['ns1', 'ns22'] },
  { type: 'status', generation: 3, namespaces: [], error: 'create network ns1: permission denied' },
  { type: 'response', id: 'req-1', ok: true, result: { lines: ['a', 'b'], n: 2 } },
  { type: 'response', id: 'req-2', ok: false, error: 'no such container' },
  { type: 'goodbye', reason: 'agent stopping (SIGTERM)' },
];

const hubSamples: HubIn[] = [
  {
    type: 'welcome',
    protocolVersion: PROTOCOL_VERSION,
    nodeId: '9dc63908-8459-41f3-abca-3b258c61ae10',
    nodeName: 'edge-01',
    clusterName: 'GuangZhou',
    credential: 'vsmn.9dc63908-8459-41f3-abca-3b258c61ae10.c2VjcmV0',
    heartbeatMs: 5000,
    graceMs: 15000,
  },
  { type: 'welcome', protocolVersion: PROTOCOL_VERSION, nodeId: 'n1', nodeName: 'a', clusterName: 'b', heartbeatMs: 500, graceMs: 2000 },
  { type: 'desired', generation: BIG_GENERATION, namespaces: ['ns1', 'ns2'] },
  { type: 'desired', generation: 0, namespaces: [] },
  { type: 'request', id: 'req-1', method: 'logs', params: { tail: 100, instanceId: 'i-1' } },
  { type: 'request', id: 'req-2', method: 'ping' },
  { type: 'goodbye', reason: 'hub shutting down' },
];

const typesOf = (u: { options: readonly { shape: { type: { value: unknown } } }[] }) => u.options.map((o) => o.shape.type.value).sort();

describe('protocol round trips through msgpack', () => {
  it('has a sample of every message type of both directions', () => {
    expect([...new Set(agentSamples.map((m) => m.type))].sort()).toEqual(typesOf(agentMessage));
    expect([...new Set(hubSamples.map((m) => m.type))].sort()).toEqual(typesOf(hubMessage));
  });

  it.each(agentSamples.map((m) => [`${m.type} ${JSON.stringify(m).length}`, m] as const))('agent message %s', (_, m) => {
    const frame = encode(m);
    expect(Buffer.isBuffer(frame)).toBe(true);
    const r = parseAgentMessage(decode(frame));
    expect(r).toEqual({ ok: true, msg: expect.objectContaining(m) });
  });

  it.each(hubSamples.map((m) => [`${m.type} ${JSON.stringify(m).length}`, m] as const))('hub message %s', (_, m) => {
    const r = parseHubMessage(decode(encode(m)));
    expect(r).toEqual({ ok: true, msg: expect.objectContaining(m) });
  });

  it('keeps a clock-seeded generation exact', () => {
    const r = parseHubMessage(decode(encode({ type: 'desired', generation: BIG_GENERATION, namespaces: [] })));
    expect(r.ok && r.msg.type === 'desired' && r.msg.generation).toBe(BIG_GENERATION);
  });

  it('decodes a frame given as an ArrayBuffer or as fragments', () => {
    const frame = encode({ type: 'goodbye', reason: 'x' });
    const ab = new Uint8Array(frame).buffer;
    expect(decode(ab)).toEqual({ type: 'goodbye', reason: 'x' });
    expect(decode([frame.subarray(0, 3), frame.subarray(3)])).toEqual({ type: 'goodbye', reason: 'x' });
  });
});

describe('malformed messages are refused with a reason', () => {
  const hello = helloFor('edge-01');
  const cases: [string, unknown, RegExp][] = [
    ['unknown type', { type: 'reboot', now: true }, /type/],
    ['no type', { seq: 1, cpuLoad: 1, memLoad: 1 }, /type/],
    ['not an object', 42, /./],
    ['null', null, /./],
    ['an array', [hello], /./],
    ['a hub-only type', { type: 'desired', generation: 1, namespaces: [] }, /type/],
    ['seq as a string', { type: 'heartbeat', seq: '1', cpuLoad: 1, memLoad: 1 }, /seq/],
    ['fractional seq', { type: 'heartbeat', seq: 1.5, cpuLoad: 1, memLoad: 1 }, /seq/],
    ['negative seq', { type: 'heartbeat', seq: -1, cpuLoad: 1, memLoad: 1 }, /seq/],
    ['cpuLoad over 100', { type: 'heartbeat', seq: 1, cpuLoad: 100.1, memLoad: 1 }, /cpuLoad/],
    ['negative memLoad', { type: 'heartbeat', seq: 1, cpuLoad: 1, memLoad: -0.1 }, /memLoad/],
    ['missing memLoad', { type: 'heartbeat', seq: 1, cpuLoad: 1 }, /memLoad/],
    ['hello without facts', { ...hello, facts: undefined }, /facts/],
    ['hello without nodeName', { ...hello, nodeName: undefined }, /nodeName/],
    ['hello with a string protocolVersion', { ...hello, protocolVersion: '1' }, /protocolVersion/],
    ['hello with an unknown runtime', { ...hello, runtime: 'podman' }, /runtime/],
    ['node name with a space', { ...hello, nodeName: 'a b' }, /nodeName/],
    ['node name with a slash', { ...hello, nodeName: 'x/y' }, /nodeName/],
    ['node name starting with a dash', { ...hello, nodeName: '-edge' }, /nodeName/],
    ['empty node name', { ...hello, nodeName: '' }, /nodeName/],
    ['node name of 64 characters', { ...hello, nodeName: 'n'.repeat(64) }, /nodeName/],
    ['negative memory', { ...hello, facts: sampleFacts({ memory: -1 }) }, /facts\.memory/],
    ['fractional disk', { ...hello, facts: sampleFacts({ disk: 1.5 }) }, /facts\.disk/],
    ['cpu as a string', { ...hello, facts: { ...sampleFacts(), cpu: '8' } }, /facts\.cpu/],
    ['facts without ip', { type: 'facts', facts: { ...sampleFacts(), ip: undefined } }, /facts\.ip/],
    ['ack with a negative generation', { type: 'ack', generation: -1 }, /generation/],
    ['status without namespaces', { type: 'status', generation: 1 }, /namespaces/],
    ['response without ok', { type: 'response', id: 'x' }, /ok/],
    ['goodbye with an overlong reason', { type: 'goodbye', reason: 'x'.repeat(201) }, /reason/],
  ];

  it.each(cases)('agent message: %s', (_, value, reason) => {
    const r = parseAgentMessage(value);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error).toMatch(reason);
  });

  const welcome = hubSamples[1]!;
  const hubCases: [string, unknown, RegExp][] = [
    ['an agent-only type', { type: 'heartbeat', seq: 1, cpuLoad: 1, memLoad: 1 }, /type/],
    ['unknown type', { type: 'shutdown' }, /type/],
    ['welcome with heartbeatMs 0', { ...welcome, heartbeatMs: 0 }, /heartbeatMs/],
    ['welcome with a bad cluster name', { ...welcome, clusterName: 'a b' }, /clusterName/],
    ['welcome without graceMs', { ...welcome, graceMs: undefined }, /graceMs/],
    ['desired with a fractional generation', { type: 'desired', generation: 1.5, namespaces: [] }, /generation/],
    ['desired with a non-string namespace', { type: 'desired', generation: 1, namespaces: [1] }, /namespaces/],
    ['request with params that are not a map', { type: 'request', id: 'x', method: 'logs', params: [1] }, /params/],
  ];

  it.each(hubCases)('hub message: %s', (_, value, reason) => {
    const r = parseHubMessage(value);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error).toMatch(reason);
  });
});

describe('decode refuses bytes that are not one msgpack value', () => {
  it.each([
    ['an empty frame', []],
    ['a truncated array', [0x92, 0x01]],
    ['a truncated string', [0xd9]],
    ['a map missing its value', [0x81, 0xa1]],
    ['trailing bytes after a value', [0x01, 0x02]],
  ])('%s', (_, bytes) => {
    expect(() => decode(Buffer.from(bytes))).toThrow();
  });

  it('yields values that the protocol then refuses', () => {
    for (const bytes of [[0xc1], [0x80], [0x2a], [0xa3, 0x61, 0x62, 0x63]]) {
      expect(parseAgentMessage(decode(Buffer.from(bytes))).ok).toBe(false);
    }
  });
});
