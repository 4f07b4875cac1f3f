import type { Logger } from '../../../shared/src/log.js';
import { backoffDelay } from '../../../shared/src/backoff.js';
import type { AlertRecord } from '../store/types.js';
import type { EventBus } from './events.js';

export interface WebhookOptions {
  url: string;
  /** Tries per alert, the first included. */
  attempts: number;
  baseDelayMs: number;
  capDelayMs: number;
  /** Per try. */
  timeoutMs: number;
  /** Alerts waiting for delivery; past this the oldest is dropped. */
  maxQueue: number;
}

export const DEFAULT_WEBHOOK_OPTIONS: Omit<WebhookOptions, 'url'> = { attempts: 5, baseDelayMs: 1000, capDelayMs: 30_000, timeoutMs: 5000, maxQueue: 1000 };

export interface WebhookDeps {
  log: Logger;
  fetch?: typeof fetch;
  sleep?: (ms: number) => Promise<void>;
  random?: () => number;
  onResult?: (result: 'ok' | 'retry' | 'failed') => void;
}

/** What the webhook receives: one alert per POST; `X-VSM-Alert-Id` lets a receiver drop the duplicates a retry can cause. */
export function webhookBody(a: AlertRecord) {
  return { source: 'vsm-hub', alert: a };
}

/**
 * POSTs each alert to HUB_ALERT_WEBHOOK, one at a time in order. Network errors, timeouts, 408,
 * 429 and 5xx are retried with exponential backoff; other answers end the delivery.
 */
export class AlertWebhook {
  private readonly queue: AlertRecord[] = [];
  private sending = false;
  private stopped = false;
  private readonly opts: WebhookOptions;
  delivered = 0;
  failed = 0;

  constructor(
    opts: Partial<WebhookOptions> & { url: string },
    private readonly deps: WebhookDeps,
  ) {
    this.opts = { ...DEFAULT_WEBHOOK_OPTIONS, ...opts };
  }

  /** Subscribes to alert events; returns a stop function (alerts still queued are dropped). */
  start(bus: EventBus): () => void {
    const unsubscribe = bus.subscribe((e) => {
      if (e.kind === 'alert') this.enqueue(e.alert);
    });
    return () => {
      this.stopped = true;
      unsubscribe();
      if (this.queue.length) this.deps.log.warn('alert webhook stopped with alerts undelivered', { count: this.queue.length });
    };
  }

  enqueue(a: AlertRecord): void {
    if (this.queue.length >= this.opts.maxQueue) {
      const dropped = this.queue.shift()!;
      this.deps.log.warn('alert webhook queue full; oldest alert dropped', { alertId: dropped.id });
    }
    this.queue.push(a);
    void this.drain();
  }

  /** Resolves when the queue is empty (tests). */
  async idle(): Promise<void> {
    while (this.sending || this.queue.length) await new Promise((r) => setTimeout(r, 5));
  }

  private async drain(): Promise<void> {
    if (this.sending) return;
    this.sending = true;
    try {
      while (this.queue.length && !this.stopped) await this.deliver(this.queue.shift()!);
    } finally {
      this.sending = false;
    }
  }

  private async deliver(a: AlertRecord): Promise<boolean> {
    const doFetch = this.deps.fetch ?? fetch;
    const sleep = this.deps.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
    const body = JSON.stringify(webhookBody(a));
    for (let attempt = 0; ; attempt++) {
      let why: string;
      try {
        const r = await doFetch(this.opts.url, {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'user-agent': 'vsm-hub', 'x-vsm-alert-id': String(a.id) },
          body,
          signal: AbortSignal.timeout(this.opts.timeoutMs),
        });
        await r.body?.cancel().catch(() => undefined);
        if (r.ok) {
          this.delivered++;
          this.deps.onResult?.('ok');
          return true;
        }
        why = `HTTP ${r.status}`;
        if (r.status < 500 && r.status !== 408 && r.status !== 429) return this.giveUp(a, why, attempt + 1);
      } catch (e) {
        why = e instanceof Error ? e.message : String(e);
      }
      if (attempt + 1 >= this.opts.attempts || this.stopped) return this.giveUp(a, why, attempt + 1);
      this.deps.onResult?.('retry');
      // Half fixed, half random ("equal jitter": uniform in the upper half of the backoff ceiling):
      // retries of many hubs spread out, and none comes at once.
      const random = this.deps.random ?? Math.random;
      const delay = backoffDelay(attempt, this.opts.baseDelayMs, this.opts.capDelayMs, () => 0.5 + random() / 2);
      this.deps.log.warn('alert webhook failed; retrying', { alertId: a.id, attempt: attempt + 1, error: why, retryInMs: delay });
      await sleep(delay);
    }
  }

  private giveUp(a: AlertRecord, why: string, attempts: number): false {
    this.failed++;
    this.deps.onResult?.('failed');
    this.deps.log.error('alert webhook gave up', { alertId: a.id, attempts, error: why });
    return false;
  }
}
