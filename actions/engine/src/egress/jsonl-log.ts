import { appendFileSync, writeFileSync } from 'node:fs';

/**
 * An append-only JSON-lines log with a size cap: past the cap one last line says so and
 * everything after is dropped (counted), so an agent that floods a harness service can
 * never fill the disk through its log.
 */
export class JsonlLog {
  private written = 0;
  private dropped = 0;
  private closed = false;

  readonly path: string;
  readonly capBytes: number;

  constructor(path: string, capBytes: number) {
    this.path = path;
    this.capBytes = capBytes;
    writeFileSync(path, '');
  }

  write(entry: Record<string, unknown>): void {
    const line = `${JSON.stringify({ ts: new Date().toISOString(), ...entry })}\n`;
    const size = Buffer.byteLength(line);
    if (this.closed || this.written + size > this.capBytes - 200) {
      this.dropped++;
      if (!this.closed) {
        this.closed = true;
        appendFileSync(
          this.path,
          `${JSON.stringify({ ts: new Date().toISOString(), truncated: true, capBytes: this.capBytes })}\n`,
        );
      }
      return;
    }
    this.written += size;
    appendFileSync(this.path, line);
  }

  /** Entries not written because the cap was reached. */
  get droppedEntries(): number {
    return this.dropped;
  }
}
