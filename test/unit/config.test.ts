import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../hub/src/config.js';

function configError(env: NodeJS.ProcessEnv): ConfigError {
  try {
    loadConfig(env);
  } catch (e) {
    if (e instanceof ConfigError) return e;
    throw e;
  }
  throw new Error(`loadConfig accepted ${JSON.stringify(env)}`);
}

describe('loadConfig', () => {
  it('has the documented defaults', () => {
    expect(loadConfig({})).toEqual({
      host: '0.0.0.0',
      port: 8080,
      dataDir: './data',
      adminUser: 'admin',
      adminPassword: undefined,
      tokenTtlS: 3600,
      heartbeatMs: 5000,
      nodeGraceMs: 15000,
      rescheduleDelayMs: 30_000,
      registryUrl: undefined,
      alertWebhook: undefined,
      logLevel: 'info',
    });
  });

  it('treats empty values as unset and ignores unrelated variables', () => {
    const c = loadConfig({ HUB_PORT: '', HUB_HOST: '', PATH: '/bin', HUB_UNKNOWN: 'x' });
    expect(c.port).toBe(8080);
    expect(c.host).toBe('0.0.0.0');
  });

  it('reads every variable', () => {
    const c = loadConfig({
      HUB_HOST: '127.0.0.1',
      HUB_PORT: '0',
      HUB_DATA_DIR: '/tmp/x',
      HUB_ADMIN_USER: 'root@site',
      HUB_ADMIN_PASSWORD: 'Admin12345',
      HUB_TOKEN_TTL_S: '60',
      HUB_HEARTBEAT_MS: '100',
      HUB_NODE_GRACE_MS: '201',
      HUB_RESCHEDULE_DELAY_MS: '0',
      HUB_REGISTRY_URL: 'https://registry.example:5000',
      HUB_ALERT_WEBHOOK: 'http://hooks.example:8080/vsm',
      HUB_LOG_LEVEL: 'debug',
    });
    expect(c).toEqual({
      host: '127.0.0.1',
      port: 0,
      dataDir: '/tmp/x',
      adminUser: 'root@site',
      adminPassword: 'Admin12345',
      tokenTtlS: 60,
      heartbeatMs: 100,
      nodeGraceMs: 201,
      rescheduleDelayMs: 0,
      registryUrl: 'https://registry.example:5000',
      alertWebhook: 'http://hooks.example:8080/vsm',
      logLevel: 'debug',
    });
  });

  it.each([
    ['HUB_PORT', 'abc'],
    ['HUB_PORT', '65536'],
    ['HUB_PORT', '-1'],
    ['HUB_PORT', '80.5'],
    ['HUB_ADMIN_USER', 'bad user'],
    ['HUB_ADMIN_USER', '-admin'],
    ['HUB_TOKEN_TTL_S', '59'],
    ['HUB_TOKEN_TTL_S', '1h'],
    ['HUB_HEARTBEAT_MS', '99'],
    ['HUB_NODE_GRACE_MS', '199'],
    ['HUB_NODE_GRACE_MS', '3600001'],
    ['HUB_REGISTRY_URL', 'not a url'],
    ['HUB_REGISTRY_URL', 'ftp://registry.example'],
    ['HUB_RESCHEDULE_DELAY_MS', '-1'],
    ['HUB_RESCHEDULE_DELAY_MS', '86400001'],
    ['HUB_ALERT_WEBHOOK', 'not a url'],
    ['HUB_ALERT_WEBHOOK', 'ftp://hooks.example/x'],
    ['HUB_LOG_LEVEL', 'verbose'],
  ])('%s=%j is a ConfigError naming the variable and the value', (name, value) => {
    const e = configError({ [name]: value });
    expect(e.message).toContain(name);
    expect(e.message).toContain(JSON.stringify(value));
  });

  it('refuses a node grace that is not longer than the heartbeat', () => {
    for (const grace of ['5000', '4000']) {
      const e = configError({ HUB_HEARTBEAT_MS: '5000', HUB_NODE_GRACE_MS: grace });
      expect(e.message).toMatch(/HUB_NODE_GRACE_MS/);
      expect(e.message).toMatch(/HUB_HEARTBEAT_MS/);
    }
    expect(loadConfig({ HUB_HEARTBEAT_MS: '5000', HUB_NODE_GRACE_MS: '5001' }).nodeGraceMs).toBe(5001);
    // The default grace (15000) against a longer heartbeat.
    expect(configError({ HUB_HEARTBEAT_MS: '20000' }).message).toMatch(/HUB_NODE_GRACE_MS/);
  });
});
