/**
 * A timing wheel: one interval drives every simulated agent's periodic work, so the simulator
 * holds two timers instead of two per agent and spreads the work the way real agents' phases do.
 */
export class TimingWheel<T> {
  private readonly slots: Set<T>[];
  private readonly due = new Map<T, number>();
  private readonly origin = performance.now();
  private last = 0;
  private timer?: NodeJS.Timeout;

  constructor(
    private readonly tickMs: number,
    private readonly run: (item: T) => void,
    size = 8192,
  ) {
    this.slots = Array.from({ length: size }, () => new Set<T>());
  }

  private tickNow(): number {
    return Math.floor((performance.now() - this.origin) / this.tickMs);
  }

  start(): void {
    this.timer = setInterval(() => this.advance(), this.tickMs);
  }

  stop(): void {
    clearInterval(this.timer);
  }

  /** (Re)schedules `item` to run once, `inMs` from now. */
  add(item: T, inMs: number): void {
    this.remove(item);
    const ticks = Math.min(this.slots.length - 1, Math.max(1, Math.round(inMs / this.tickMs)));
    const at = Math.max(this.last, this.tickNow()) + ticks;
    this.due.set(item, at);
    this.slots[at % this.slots.length]!.add(item);
  }

  remove(item: T): void {
    const at = this.due.get(item);
    if (at === undefined) return;
    this.due.delete(item);
    this.slots[at % this.slots.length]!.delete(item);
  }

  /** Runs every item due up to now, catching up on ticks a busy event loop skipped. */
  private advance(): void {
    const now = this.tickNow();
    for (let t = this.last + 1; t <= now; t++) {
      const slot = this.slots[t % this.slots.length]!;
      if (slot.size === 0) continue;
      for (const item of [...slot]) {
        if (this.due.get(item) !== t) continue;
        slot.delete(item);
        this.due.delete(item);
        this.run(item);
      }
    }
    this.last = Math.max(this.last, now);
  }
}
