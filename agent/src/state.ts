import { randomBytes } from 'node:crypto';
import { mkdir, open, readFile, rename } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { workloadSpec } from '../../shared/src/protocol.js';

/** The node's identity, issued by the hub on first join. */
export const identitySchema = z.object({
  nodeId: z.string().min(1),
  nodeName: z.string().min(1),
  clusterName: z.string().min(1),
  credential: z.string().min(1),
  hubUrl: z.string().min(1),
});
export type Identity = z.infer<typeof identitySchema>;

/** The last desired state received, enforced while the hub is unreachable. */
export const savedDesiredSchema = z.object({
  generation: z.number().int(),
  namespaces: z.array(z.string()),
  workloads: z.array(workloadSpec).default([]),
});
export type SavedDesired = z.infer<typeof savedDesiredSchema>;

/** Writes a file atomically with mode 0600 (temp file, fsync, rename). */
async function writeSecret(path: string, value: unknown): Promise<void> {
  const tmp = `${path}.tmp`;
  const fh = await open(tmp, 'w', 0o600);
  try {
    await fh.writeFile(JSON.stringify(value, null, 2));
    await fh.sync();
  } finally {
    await fh.close();
  }
  await rename(tmp, path);
}

async function readJson<T>(path: string, schema: z.ZodType<T>): Promise<T | undefined> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw e;
  }
  const r = schema.safeParse(JSON.parse(text));
  if (!r.success) throw new Error(`${path} is not valid: ${r.error.issues[0]?.message ?? 'bad shape'}`);
  return r.data;
}

/** The agent's files in AGENT_DATA_DIR: identity.json and desired.json, both mode 0600. */
export class AgentFiles {
  constructor(private readonly dir: string) {}

  async init(): Promise<void> {
    await mkdir(this.dir, { recursive: true, mode: 0o700 });
  }

  loadIdentity(): Promise<Identity | undefined> {
    return readJson(join(this.dir, 'identity.json'), identitySchema);
  }

  saveIdentity(i: Identity): Promise<void> {
    return writeSecret(join(this.dir, 'identity.json'), i);
  }

  async forgetIdentity(): Promise<void> {
    await rename(join(this.dir, 'identity.json'), join(this.dir, 'identity.rejected.json')).catch(() => undefined);
  }

  /** The enrollment secret, generated and saved (mode 0600) before the first join. */
  async enrollSecret(): Promise<string> {
    const path = join(this.dir, 'enroll.json');
    const saved = await readJson(path, z.string().min(32));
    if (saved) return saved;
    const secret = randomBytes(32).toString('base64url');
    await writeSecret(path, secret);
    return secret;
  }

  loadDesired(): Promise<SavedDesired | undefined> {
    return readJson(join(this.dir, 'desired.json'), savedDesiredSchema);
  }

  saveDesired(d: SavedDesired): Promise<void> {
    return writeSecret(join(this.dir, 'desired.json'), d);
  }
}
