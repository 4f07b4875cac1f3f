import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** The image scripts/test-deps.sh builds from busybox-static. */
export const TEST_IMAGE = 'vsm-test/busybox:1.0';

/** `docker ...` output, trimmed; throws with stderr on failure. */
export async function docker(...args: string[]): Promise<string> {
  const { stdout } = await run('docker', args, { maxBuffer: 16 * 1024 * 1024 });
  return stdout.trim();
}

/** Fails loudly when Docker or the test image is missing (never skips). */
export async function assertDockerReady(): Promise<void> {
  try {
    await docker('info', '--format', '{{.ServerVersion}}');
  } catch (e) {
    throw new Error(`Docker is not running; npm test starts it through scripts/test-deps.sh: ${(e as Error).message}`);
  }
  try {
    await docker('image', 'inspect', TEST_IMAGE);
  } catch {
    throw new Error(`${TEST_IMAGE} is missing; scripts/test-deps.sh builds it`);
  }
}

export interface ContainerRow {
  id: string;
  name: string;
  state: string;
  labels: Record<string, string>;
}

/** Containers (running or not) carrying every given label. */
export async function containers(...labels: string[]): Promise<ContainerRow[]> {
  const args = ['ps', '-a', '--no-trunc', '--format', '{{json .}}', ...labels.flatMap((l) => ['--filter', `label=${l}`])];
  const out = await docker(...args);
  if (!out) return [];
  return out.split('\n').map((line) => {
    const r = JSON.parse(line) as { ID: string; Names: string; State: string; Labels: string };
    const labelsOut: Record<string, string> = {};
    for (const kv of r.Labels.split(',')) {
      const i = kv.indexOf('=');
      if (i > 0) labelsOut[kv.slice(0, i)] = kv.slice(i + 1);
    }
    return { id: r.ID, name: r.Names, state: r.State, labels: labelsOut };
  });
}

/** Removes every container and network an agent of these nodes created. */
export async function removeNodeObjects(nodeNames: string[]): Promise<void> {
  for (const n of nodeNames) {
    const ids = (await docker('ps', '-aq', '--filter', `label=vsm.node=${n}`)).split('\n').filter(Boolean);
    if (ids.length) await docker('rm', '-f', ...ids).catch(() => '');
    const nets = (await docker('network', 'ls', '-q', '--filter', `label=vsm.node=${n}`)).split('\n').filter(Boolean);
    for (const id of nets) await docker('network', 'rm', id).catch(() => '');
  }
}
