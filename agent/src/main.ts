import { createLogger } from '../../shared/src/log.js';
import { AGENT_WS_PATH } from '../../shared/src/protocol.js';
import { VERSION } from '../../shared/src/version.js';
import { Agent } from './agent.js';
import { AgentConfigError, loadAgentConfig } from './config.js';
import { collectFacts } from './facts.js';
import { NoRuntime, type Runtime } from './runtime.js';
import { AgentFiles } from './state.js';

/** The one place that reads process.env and handles signals. */
async function main(): Promise<void> {
  if (process.argv.includes('--version')) {
    process.stdout.write(`vsm-agent ${VERSION}\n`);
    return;
  }
  const config = loadAgentConfig(process.env, AGENT_WS_PATH);
  const log = createLogger({ level: config.logLevel, name: 'agent' }).child({ node: config.nodeName });
  let runtime: Runtime = new NoRuntime();
  let agent: Agent | undefined;
  if (config.runtime === 'docker') {
    try {
      // Loaded only when used: AGENT_RUNTIME=none never pays for dockerode's memory.
      const { connectDocker, DockerRuntime } = await import('./docker-runtime.js');
      const docker = await connectDocker();
      runtime = new DockerRuntime(
        docker,
        () => ({ nodeName: config.nodeName, clusterName: agent?.clusterName ?? '', hostPathAllow: config.hostPathAllow }),
        log,
      );
    } catch (e) {
      log.warn('Docker is not reachable; this node reports facts and heartbeats but runs no workloads', { error: (e as Error).message });
    }
  }
  agent = new Agent({
    config,
    files: new AgentFiles(config.dataDir),
    runtime,
    log,
    collectFacts,
    print: (line) => process.stdout.write(line + '\n'),
  });
  const running = agent;
  await running.start();
  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info('agent stopping', { signal });
    await running.stop(`agent stopping (${signal})`);
    process.exit(0);
  };
  process.on('SIGTERM', () => void stop('SIGTERM'));
  process.on('SIGINT', () => void stop('SIGINT'));
}

main().catch((e: unknown) => {
  const msg = e instanceof Error ? e.message : String(e);
  process.stderr.write(e instanceof AgentConfigError ? `agent: ${msg}\n` : `agent: failed to start: ${msg}\n`);
  process.exit(1);
});
