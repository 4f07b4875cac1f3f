import { hostname } from 'node:os';
import { describe, expect, it } from 'vitest';
import { AgentConfigError, defaultNodeName, loadAgentConfig, wsUrlOf } from '../../agent/src/config.js';
import { AGENT_WS_PATH } from '../../shared/src/protocol.js';

const SECRET = 'eyJhbGciOiJIUzI1NiJ9.c2VjcmV0LWpvaW4tdG9rZW4.sig';

function configError(env: NodeJS.ProcessEnv): AgentConfigError {
  try {
    loadAgentConfig(env, AGENT_WS_PATH);
  } catch (e) {
    if (e instanceof AgentConfigError) return e;
    throw e;
  }
  throw new Error(`loadAgentConfig accepted ${JSON.stringify(env)}`);
}

describe('loadAgentConfig', () => {
  it('has the documented defaults', () => {
    expect(loadAgentConfig({}, AGENT_WS_PATH)).toMatchObject({
      hubUrl: 'http://127.0.0.1:8080',
      wsUrl: 'ws://127.0.0.1:8080/v1/agent/ws',
      token: undefined,
      nodeName: defaultNodeName(hostname()),
      dataDir: './data/agent',
      runtime: 'docker',
      logLevel: 'info',
    });
  });

  it('reads every contract variable and treats empty values as unset', () => {
    const c = loadAgentConfig(
      {
        AGENT_HUB_URL: 'https://hub.example.com:8443',
        AGENT_TOKEN: SECRET,
        AGENT_NODE_NAME: 'GZ.cam_1',
        AGENT_DATA_DIR: '/var/lib/vsm',
        AGENT_RUNTIME: 'none',
        AGENT_LOG_LEVEL: '',
      },
      AGENT_WS_PATH,
    );
    expect(c).toMatchObject({
      hubUrl: 'https://hub.example.com:8443',
      wsUrl: 'wss://hub.example.com:8443/v1/agent/ws',
      token: SECRET,
      nodeName: 'GZ.cam_1',
      dataDir: '/var/lib/vsm',
      runtime: 'none',
      logLevel: 'info',
    });
  });

  it.each([
    ['AGENT_HUB_URL', 'ftp://hub:21'],
    ['AGENT_HUB_URL', 'hub:8080'],
    ['AGENT_NODE_NAME', 'a b'],
    ['AGENT_NODE_NAME', 'x/y'],
    ['AGENT_NODE_NAME', '-edge'],
    ['AGENT_NODE_NAME', 'n'.repeat(64)],
    ['AGENT_RUNTIME', 'podman'],
    ['AGENT_LOG_LEVEL', 'loud'],
  ])('refuses %s=%s naming the variable and never showing the token', (key, value) => {
    const e = configError({ AGENT_TOKEN: SECRET, [key]: value });
    expect(e.message).toMatch(new RegExp(`^invalid ${key}=`));
    expect(e.message).toContain(JSON.stringify(value));
    expect(e.message).not.toContain(SECRET);
    expect(e.message).not.toContain('c2VjcmV0');
  });
});

describe('wsUrlOf', () => {
  it.each([
    ['http://127.0.0.1:8080', 'ws://127.0.0.1:8080/v1/agent/ws'],
    ['https://hub.example.com', 'wss://hub.example.com/v1/agent/ws'],
    ['http://hub:80/', 'ws://hub/v1/agent/ws'],
    ['https://gw.example.com/vsm/', 'wss://gw.example.com/vsm/v1/agent/ws'],
    ['http://hub:8080/?x=1', 'ws://hub:8080/v1/agent/ws'],
    ['http://[::1]:8080', 'ws://[::1]:8080/v1/agent/ws'],
  ])('%s -> %s', (hubUrl, ws) => {
    expect(wsUrlOf(hubUrl, AGENT_WS_PATH)).toBe(ws);
  });
});

describe('defaultNodeName', () => {
  it.each([
    ['edge-01', 'edge-01'],
    ['My Host!', 'My-Host-'],
    ['--edge', 'edge'],
    ['', 'node'],
    ['!!!', 'node'],
    ['h'.repeat(80), 'h'.repeat(63)],
  ])('%s -> %s', (host, name) => {
    expect(defaultNodeName(host)).toBe(name);
  });
});
