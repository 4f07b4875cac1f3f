import { randomBytes } from 'node:crypto';
import { mkdir, readFile, rename } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { writeFileDurably } from '../../shared/src/durable-file.js';
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
  /**
   * The last write of each file. Writes of one file go one after another: two at once shared the
   * temp file and could rename a mix of both into place (desired states arrive back to back).
   */
  private readonly writes = new Map<string, Promise<void>>();

  constructor(private readonly dir: string) {}

  private write(name: string, value: unknown): Promise<void> {
    const path = join(this.dir, name);
    const next = (this.writes.get(path) ?? Promise.resolve()).catch(() => undefined).then(() => writeFileDurably(path, JSON.stringify(value, null, 2)));
    this.writes.set(path, next);
    return next;
  }

  async init(): Promise<void> {
    await mkdir(this.dir, { recursive: true, mode: 0o700 });
  }

  loadIdentity(): Promise<Identity | undefined> {
    return readJson(join(this.dir, 'identity.json'), identitySchema);
  }

  saveIdentity(i: Identity): Promise<void> {
    return this.write('identity.json', i);
  }

  /** Moves `<name>.json` aside as `<name>.rejected.json` (kept for a look later); nothing when it is absent. */
  private async setAside(name: 'identity' | 'desired'): Promise<void> {
    await rename(join(this.dir, `${name}.json`), join(this.dir, `${name}.rejected.json`)).catch(() => undefined);
  }

  forgetIdentity(): Promise<void> {
    return this.setAside('identity');
  }

  /** The enrollment secret, generated and saved (mode 0600) before the first join. */
  async enrollSecret(): Promise<string> {
    const path = join(this.dir, 'enroll.json');
    const saved = await readJson(path, z.string().min(32));
    if (saved) return saved;
    const secret = randomBytes(32).toString('base64url');
    await this.write('enroll.json', secret);
    return secret;
  }

  loadDesired(): Promise<SavedDesired | undefined> {
    return readJson(join(this.dir, 'desired.json'), savedDesiredSchema);
  }

  /** Moves an unreadable desired.json aside (desired.rejected.json), for a look later. */
  setAsideDesired(): Promise<void> {
    return this.setAside('desired');
  }

  saveDesired(d: SavedDesired): Promise<void> {
    return this.write('desired.json', d);
  }
}
