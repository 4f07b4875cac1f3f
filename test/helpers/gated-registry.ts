import { execFileSync, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { copyFile, mkdir, mkdtemp, rm, symlink } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';

const sha = (b: Buffer) => `sha256:${createHash('sha256').update(b).digest('hex')}`;

/** The uncompressed tar of a busybox-only root filesystem (its sha256 is the layer's diff id). */
async function busyboxLayer(): Promise<Buffer> {
  const dir = await mkdtemp(join(tmpdir(), 'layer-'));
  try {
    await mkdir(join(dir, 'bin'));
    const busybox = execFileSync('sh', ['-c', 'command -v busybox || true'], { encoding: 'utf8' }).trim();
    if (!busybox) throw new Error('busybox is not installed (busybox-static; run scripts/test-deps.sh)');
    await copyFile(busybox, join(dir, 'bin/busybox'));
    await symlink('busybox', join(dir, 'bin/sh'));
    await symlink('busybox', join(dir, 'bin/sleep'));
    return await new Promise<Buffer>((res, rej) => {
      const chunks: Buffer[] = [];
      const p = spawn('tar', ['-C', dir, '-c', '.'], { stdio: ['ignore', 'pipe', 'inherit'] });
      p.stdout.on('data', (c: Buffer) => chunks.push(c));
      p.once('error', rej);
      p.once('close', (code) => (code === 0 ? res(Buffer.concat(chunks)) : rej(new Error(`tar exited ${code}`))));
    });
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/**
 * A Distribution v2 registry serving one image, whose layer download can be held half way: the
 * first `gateAfter` bytes go out, the rest waits for `release()`. A pull is thus caught in the middle
 * for as long as a test needs (to kill the agent that asked for it).
 */
export class GatedRegistry {
  private server?: Server;
  private blobs = new Map<string, Buffer>();
  private manifest = Buffer.alloc(0);
  private layerDigest = '';
  private open = false;
  private waiting: (() => void)[] = [];
  /** Layer downloads started (each one is a pull in progress). */
  layerRequests = 0;
  port = 0;

  constructor(
    readonly repo: string,
    readonly tag: string,
    private readonly gateAfter = 64 * 1024,
  ) {}

  /** `127.0.0.1:PORT/repo:tag`, pullable by the local dockerd (127.0.0.0/8 is an insecure registry). */
  get image(): string {
    return `127.0.0.1:${this.port}/${this.repo}:${this.tag}`;
  }

  async start(): Promise<this> {
    const tar = await busyboxLayer();
    const layer = gzipSync(tar);
    const config = Buffer.from(
      JSON.stringify({
        architecture: process.arch === 'arm64' ? 'arm64' : 'amd64',
        os: 'linux',
        config: { Cmd: ['/bin/sh'] },
        rootfs: { type: 'layers', diff_ids: [sha(tar)] },
      }),
    );
    this.layerDigest = sha(layer);
    this.blobs.set(sha(config), config).set(this.layerDigest, layer);
    this.manifest = Buffer.from(
      JSON.stringify({
        schemaVersion: 2,
        mediaType: 'application/vnd.docker.distribution.manifest.v2+json',
        config: { mediaType: 'application/vnd.docker.container.image.v1+json', size: config.length, digest: sha(config) },
        layers: [{ mediaType: 'application/vnd.docker.image.rootfs.diff.tar.gzip', size: layer.length, digest: this.layerDigest }],
      }),
    );
    this.server = createServer((req, res) => {
      const path = (req.url ?? '').split('?')[0]!;
      if (path === '/v2/' || path === '/v2') return void res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
      if (path === `/v2/${this.repo}/manifests/${this.tag}` || path === `/v2/${this.repo}/manifests/${sha(this.manifest)}`) {
        res.writeHead(200, {
          'content-type': 'application/vnd.docker.distribution.manifest.v2+json',
          'docker-content-digest': sha(this.manifest),
          'content-length': String(this.manifest.length),
        });
        return void res.end(req.method === 'HEAD' ? undefined : this.manifest);
      }
      const m = new RegExp(`^/v2/${this.repo}/blobs/(sha256:[0-9a-f]{64})$`).exec(path);
      const blob = m ? this.blobs.get(m[1]!) : undefined;
      if (!blob) return void res.writeHead(404, { 'content-type': 'application/json' }).end('{"errors":[{"code":"BLOB_UNKNOWN"}]}');
      res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': String(blob.length), 'docker-content-digest': m![1]! });
      if (req.method === 'HEAD') return void res.end();
      if (m![1] !== this.layerDigest || this.open) return void res.end(blob);
      this.layerRequests++;
      res.write(blob.subarray(0, this.gateAfter));
      this.waiting.push(() => res.end(blob.subarray(this.gateAfter)));
    });
    await new Promise<void>((r) => this.server!.listen(0, '127.0.0.1', r));
    this.port = (this.server.address() as AddressInfo).port;
    return this;
  }

  /** Lets held and future layer downloads finish. */
  release(): void {
    this.open = true;
    for (const w of this.waiting.splice(0)) w();
  }

  async stop(): Promise<void> {
    this.release();
    this.server?.closeAllConnections();
    await new Promise((r) => this.server?.close(r));
  }
}
