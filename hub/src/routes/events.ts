import { Hono, type Context } from 'hono';
import { streamSSE, type SSEStreamingApi } from 'hono/streaming';
import { z } from 'zod';
import type { HubContext } from '../context.js';
import { forbidden, invalid, unauthorized } from '../errors.js';
import type { HubEnv } from '../http/env.js';
import { query } from '../http/validate.js';
import { can } from '../services/permissions.js';
import { mayStream, visibleTo, type StreamEvent } from '../services/sse.js';
import { tokenFromHeader } from '../services/tokens.js';
import type { Caller } from '../services/users.js';

/** An event id as a query value or Last-Event-ID header: a whole number. */
const eventId = z
  .string()
  .regex(/^\d{1,16}$/, 'lastEventId must be an event id (a whole number)')
  .transform(Number)
  .pipe(z.number().max(Number.MAX_SAFE_INTEGER, 'lastEventId is too large'));

/** GET /v1/events query: `token` only here, because EventSource cannot send headers. */
export const eventsQuery = z.object({
  token: z.string().max(4096, 'token is too long').optional(),
  lastEventId: eventId.optional(),
});

export interface EventStreamOptions {
  /** Comment lines that keep proxies from closing an idle stream; the caller's token is re-checked each time. */
  keepAliveMs: number;
  /** Period of the `node.load` snapshot (heartbeat age, CPU and memory load of every node). */
  loadEveryMs: number;
  /** Streams open at once, over all users. */
  maxStreams: number;
  /** Writes a slow client may leave unread before it is dropped (it can resume with Last-Event-ID). */
  maxQueued: number;
}

export const DEFAULT_STREAM_OPTIONS: EventStreamOptions = { keepAliveMs: 15_000, loadEveryMs: 5000, maxStreams: 1000, maxQueued: 5000 };

const frame = (event: string, data: unknown, id?: number) => `${id !== undefined ? `id: ${id}\n` : ''}event: ${event}\ndata: ${JSON.stringify(data)}\n\n`;

/** GET /v1/events: server-sent fleet events, filtered per caller, resumable with Last-Event-ID. */
export function eventRoutes(ctx: HubContext, options: Partial<EventStreamOptions> = {}) {
  const opts = { ...DEFAULT_STREAM_OPTIONS, ...options };
  const app = new Hono<HubEnv>();
  let open = 0;

  app.get('/v1/events', async (c) => {
    // The query token is read here and never logged (the request log has the path only).
    const token = tokenFromHeader(c.req.header('authorization')) ?? c.req.query('token');
    if (!token) throw unauthorized('a token is required: the Authorization header, or ?token= for EventSource');
    let caller = await ctx.users.authenticate(token);
    if (!mayStream(caller)) throw forbidden(`role ${caller.role} may not subscribe to events: it may read neither nodes, deployments nor alerts`);
    const q = query(c, eventsQuery);
    const lastId = lastEventIdOf(c, q.lastEventId);
    if (open >= opts.maxStreams) return c.json({ code: 503, message: `too many event streams open (${opts.maxStreams}); try again later` }, 503);
    open++;
    c.header('X-Accel-Buffering', 'no');
    return streamSSE(c, async (stream) => {
      try {
        await serve(stream, token, () => caller, (next) => (caller = next), lastId);
      } finally {
        open--;
      }
    });
  });

  async function serve(stream: SSEStreamingApi, token: string, who: () => Caller, setWho: (c: Caller) => void, lastId: number | undefined): Promise<void> {
    let queued = 0;
    let end!: () => void;
    const ended = new Promise<void>((r) => (end = r));
    const send = (text: string) => {
      if (stream.aborted || stream.closed) return;
      if (queued >= opts.maxQueued) {
        ctx.log.warn('event stream dropped: the client reads too slowly', { userId: who().user.id });
        end();
        return;
      }
      queued++;
      void stream.write(text).then(() => queued--);
    };
    const deliver = (rec: StreamEvent) => {
      if (visibleTo(who(), rec.event)) send(frame(rec.event.kind, rec.event, rec.id));
    };

    // Replay and subscribe in one synchronous step: no event can fall between them.
    send(`retry: 2000\n: ${'connected'}\n\n`);
    const replay = lastId === undefined ? undefined : ctx.eventLog.since(lastId);
    if (replay?.kind === 'gap') {
      send(frame('resync', { reason: 'events after your Last-Event-ID are no longer kept (or the hub restarted): reload the state' }, ctx.eventLog.latestId));
    } else if (replay) {
      for (const rec of replay.events) deliver(rec);
    }
    if (!replay || replay.kind === 'gap') send(frame('hello', { latestId: ctx.eventLog.latestId, keepAliveMs: opts.keepAliveMs }, ctx.eventLog.latestId));
    const unsubscribe = ctx.eventLog.subscribe(deliver);

    const keepAlive = setInterval(() => {
      ctx.users.authenticate(token).then(
        (c) => {
          setWho(c);
          if (!mayStream(c)) {
            send(frame('end', { code: 403, message: 'your role may no longer subscribe to events' }));
            end();
          } else send(': keep-alive\n\n');
        },
        (e: unknown) => {
          send(frame('end', { code: 401, message: e instanceof Error ? e.message : 'token no longer valid' }));
          end();
        },
      );
    }, opts.keepAliveMs);
    const load = setInterval(() => {
      if (can(who().role, 'node.read')) send(frame('node.load', loadSnapshot(ctx)));
    }, opts.loadEveryMs);
    stream.onAbort(end);
    try {
      await ended;
    } finally {
      clearInterval(keepAlive);
      clearInterval(load);
      unsubscribe();
    }
  }

  return app;
}

function lastEventIdOf(c: Context<HubEnv>, fromQuery: number | undefined): number | undefined {
  const header = c.req.header('last-event-id')?.trim();
  if (!header) return fromQuery;
  const r = eventId.safeParse(header);
  if (!r.success) throw invalid('Last-Event-ID must be an event id (a whole number)');
  return r.data;
}

/** Every known node's heartbeat age and load, for dashboards (not kept for replay: the next one supersedes it). */
export function loadSnapshot(ctx: HubContext) {
  const now = ctx.clock.now();
  const nodes = ctx.store.nodes.all().map((n) => {
    const s = ctx.registry.get(n.id);
    return {
      clusterName: n.clusterName,
      nodeName: n.nodeName,
      isReady: ctx.registry.isReady(n.id, now),
      lastHeartbeatAgeMs: s ? now - s.lastHeartbeat : null,
      cpuLoad: s?.cpuLoad ?? null,
      memLoad: s?.memLoad ?? null,
    };
  });
  return { kind: 'node.load', at: now, nodes };
}
