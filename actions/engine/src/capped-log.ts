import { appendFileSync, writeFileSync } from 'node:fs';

/**
 * A log file the harness appends to with a hard size cap: past the cap, lines are counted
 * and dropped, and one closing line says how many. Whatever the agent provokes (a flood of
 * refused calls, a chatty evaluator), the harness's own files stay bounded.
 */
export class CappedLog {
  readonly path: string;
  readonly maxBytes: number;
  private written = 0;
  private dropped = 0;

  constructor(path: string, maxBytes: number) {
    this.path = path;
    this.maxBytes = maxBytes;
    writeFileSync(path, '', { flag: 'a' });
  }

  append(line: string): void {
    const text = line.endsWith('\n') ? line : `${line}\n`;
    const bytes = Buffer.byteLength(text);
    if (this.written + bytes > this.maxBytes) {
      this.dropped++;
      return;
    }
    this.written += bytes;
    appendFileSync(this.path, text);
  }

  /** Lines dropped so far. */
  get droppedLines(): number {
    return this.dropped;
  }

  /** Writes the closing line (once) when lines were dropped. */
  close(): void {
    if (this.dropped === 0) return;
    appendFileSync(this.path, `# log capped at ${this.maxBytes} bytes: ${this.dropped} more line(s) dropped\n`);
    this.dropped = 0;
  }
}
