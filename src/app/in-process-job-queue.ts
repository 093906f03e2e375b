/**
 * A {@link JobQueue} that runs each job in this process, right after the listener that published it returns:
 * the local runtime's stand-in for the jobs topic and the worker Lambda, and what the tests use to run the whole
 * path without SNS. Jobs go through JSON and {@link parseJob} exactly as the SNS path does, so a job the worker
 * could not read fails here too.
 */
import { type Job, type JobQueue, parseJob } from './jobs';

/** Runs one job (the worker use case). */
export type JobRunner = (job: Job) => Promise<unknown>;

/** Options of {@link InProcessJobQueue}. */
export interface InProcessJobQueueOptions {
  /** Where a job that failed is reported; `console.error` unless set. */
  log?: (message: string, details: Record<string, unknown>) => void;
}

/** Runs published jobs asynchronously in the same process; {@link idle} waits for them. */
export class InProcessJobQueue implements JobQueue {
  private readonly running = new Set<Promise<void>>();
  private readonly log: NonNullable<InProcessJobQueueOptions['log']>;
  /** Jobs that failed, for tests and the local runtime's log. */
  readonly failures: Array<{ job: Job; error: unknown }> = [];

  constructor(
    private readonly run: JobRunner,
    options: InProcessJobQueueOptions = {},
  ) {
    this.log = options.log ?? ((message, details) => console.error(message, details));
  }

  /** Queues the job; it starts on the next turn of the event loop, after the publisher's own work. */
  async publish(job: Job): Promise<void> {
    const copy = parseJob(JSON.stringify(job));
    const task = new Promise<void>((resolve) => setImmediate(resolve))
      .then(() => this.run(copy))
      .then(
        () => undefined,
        (error: unknown) => {
          this.failures.push({ job: copy, error });
          this.log(`job ${copy.kind} failed`, {
            kind: copy.kind,
            error: error instanceof Error ? error.message : String(error),
          });
        },
      )
      .finally(() => {
        this.running.delete(task);
      });
    this.running.add(task);
  }

  /** Resolves once no job is running, including jobs published by jobs. */
  async idle(): Promise<void> {
    while (this.running.size > 0) await Promise.all([...this.running]);
  }
}
