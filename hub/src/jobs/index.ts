import { schedule, type ScheduledTask } from 'node-cron';
import type { HubContext } from '../context.js';

/** Forgets revocations of tokens that have expired anyway. */
export async function pruneRevocations(ctx: HubContext): Promise<void> {
  const n = await ctx.tokens.prune();
  if (n > 0) ctx.log.info('pruned expired token revocations', { count: n });
}

/** Forgets idle login-throttle entries. */
export async function sweepLoginThrottle(ctx: HubContext): Promise<void> {
  const n = ctx.throttle.sweep();
  if (n > 0) ctx.log.debug('swept login throttle', { count: n });
}

/** The one table of cron schedules. */
export const JOBS: { name: string; cron: string; run: (ctx: HubContext) => Promise<void> }[] = [
  { name: 'prune-revocations', cron: '*/10 * * * *', run: pruneRevocations },
  { name: 'sweep-login-throttle', cron: '*/5 * * * *', run: sweepLoginThrottle },
];

/** Starts every job; returns a function that stops them all. */
export function startJobs(ctx: HubContext): () => Promise<void> {
  const tasks: ScheduledTask[] = JOBS.map((job) =>
    schedule(
      job.cron,
      async () => {
        try {
          await job.run(ctx);
        } catch (e) {
          ctx.log.error('job failed', { job: job.name, error: (e as Error).message });
        }
      },
      { name: job.name, noOverlap: true },
    ),
  );
  return async () => {
    for (const t of tasks) await t.destroy();
  };
}
