/** One server-sent event as a client sees it (comments kept apart). */
export interface SseFrame {
  id?: string;
  event: string;
  data: any;
  retry?: number;
  comments: string[];
}

/** Parses an SSE body as it arrives; next() waits for a frame that matches. */
export class SseReader {
  readonly frames: SseFrame[] = [];
  private buffer = '';
  private done = false;
  private readonly waiters = new Set<() => void>();
  private readonly reader: ReadableStreamDefaultReader<Uint8Array>;

  constructor(readonly response: Response) {
    if (!response.body) throw new Error(`no body (status ${response.status})`);
    this.reader = response.body.getReader();
    void this.pump();
  }

  get closed(): boolean {
    return this.done;
  }

  private async pump(): Promise<void> {
    const dec = new TextDecoder();
    try {
      for (;;) {
        const { done, value } = await this.reader.read();
        if (done) break;
        this.buffer += dec.decode(value, { stream: true });
        let i: number;
        while ((i = this.buffer.indexOf('\n\n')) >= 0) {
          this.frames.push(parseFrame(this.buffer.slice(0, i)));
          this.buffer = this.buffer.slice(i + 2);
        }
        this.wake();
      }
    } catch {
      // cancelled
    }
    this.done = true;
    this.wake();
  }

  private wake(): void {
    for (const w of this.waiters) w();
  }

  /** The first frame at index >= from that matches; fails after `timeoutMs` or when the stream ends. */
  next(match: (f: SseFrame) => boolean, timeoutMs = 5000, from = 0): Promise<SseFrame> {
    return new Promise((resolve, reject) => {
      const check = () => {
        const f = this.frames.slice(from).find(match);
        if (f) return finish(() => resolve(f));
        if (this.done) finish(() => reject(new Error(`stream ended; frames: ${JSON.stringify(this.frames.map((x) => x.event))}`)));
      };
      const timer = setTimeout(() => finish(() => reject(new Error(`no matching frame within ${timeoutMs} ms; frames: ${JSON.stringify(this.frames.map((x) => x.event))}`))), timeoutMs);
      const finish = (f: () => void) => {
        clearTimeout(timer);
        this.waiters.delete(check);
        f();
      };
      this.waiters.add(check);
      check();
    });
  }

  /** Frames with an event name (comments and retry-only frames left out). */
  events(): SseFrame[] {
    return this.frames.filter((f) => f.event !== '');
  }

  /** Waits until the server ends the stream. */
  async ended(timeoutMs = 5000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!this.done) {
      if (Date.now() > deadline) throw new Error('the stream did not end');
      await new Promise((r) => setTimeout(r, 10));
    }
  }

  async close(): Promise<void> {
    await this.reader.cancel().catch(() => undefined);
  }
}

function parseFrame(text: string): SseFrame {
  const f: SseFrame = { event: '', data: undefined, comments: [] };
  const data: string[] = [];
  for (const line of text.split('\n')) {
    if (line.startsWith(':')) f.comments.push(line.slice(1).trim());
    else if (line.startsWith('id: ')) f.id = line.slice(4);
    else if (line.startsWith('event: ')) f.event = line.slice(7);
    else if (line.startsWith('data: ')) data.push(line.slice(6));
    else if (line.startsWith('retry: ')) f.retry = Number(line.slice(7));
  }
  if (data.length) f.data = JSON.parse(data.join('\n'));
  return f;
}
