/**
 * Background work done again and again (the refund reconciliation, the report fold, the release of lapsed stock
 * holds): one pass every `intervalMs`, never two at once, a failure handed to `failed` and the next pass tried
 * as usual; `stop` waits for the pass under way.
 */
export class RepeatingPass {
  private timer: ReturnType<typeof setInterval> | undefined;
  private running: Promise<unknown> | undefined;

  constructor(
    private readonly pass: () => Promise<unknown>,
    private readonly intervalMs: number,
    private readonly failed: (error: unknown) => void,
  ) {}

  /** Starts the passes; with `now`, the first one at once rather than after the first interval. */
  start(options: { now?: boolean } = {}): void {
    if (this.timer) return;
    if (options.now) this.tick();
    this.timer = setInterval(() => this.tick(), this.intervalMs);
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    this.timer = undefined;
    await this.running;
  }

  private tick(): void {
    this.running ??= this.pass()
      .catch(this.failed)
      .finally(() => {
        this.running = undefined;
      });
  }
}
