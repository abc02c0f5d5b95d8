/**
 * The local spool (DESIGN.md §7): an append-only directory of JSON-lines segment files, written
 * before anything acts on an event, read in order by the shipper. It lives in the pod's `emptyDir`,
 * so it survives a sidecar crash or restart (not the pod's deletion).
 *
 * Layout of `dir`:
 * - `segment-000000000001.jsonl`, `-000000000002`, ...: one sealed `RecordedEvent` per line. A
 *   process only ever appends to a segment it created; on start it opens the next number, so a
 *   torn last line a crash left behind is never followed by good data in the same file.
 * - `shipped.json`: `{"segment":N,"offset":B}`, everything before byte B of segment N (and every
 *   earlier segment) is in the store. Replaced atomically (write, fsync, rename, fsync the dir)
 *   after each batch the store accepted; segments wholly before it are deleted.
 *
 * Durability: `writeSync` hands each event to the kernel before `append` returns, so killing the
 * process (SIGKILL, OOM) loses nothing. `fsync: 'always'` also fdatasyncs each append, so a node
 * crash loses nothing either; `'interval'` fdatasyncs every `intervalMs`, so a node crash (kernel
 * panic, power loss) loses at most the last `intervalMs` of events.
 */
import {
  closeSync,
  fdatasync,
  fdatasyncSync,
  mkdirSync,
  openSync,
  readdirSync,
  statSync,
  writeSync,
  readFileSync,
} from 'node:fs';
import { open, rename, rm, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { SpoolError } from './errors.js';
import type { RecordedEvent } from './recorded-event.js';
import { readSpoolLine, type ReadLease } from './spool-line.js';

export interface SpoolOptions {
  dir: string;
  fsync: { mode: 'always' } | { mode: 'interval'; intervalMs: number };
  /** A segment is closed and the next one opened once it reaches this size (default 8 MiB). */
  segmentBytes?: number;
}

/** A place in the spool: byte `offset` of segment number `segment`. */
export interface SpoolPosition {
  segment: number;
  offset: number;
}

export interface SpoolBatch {
  /**
   * The events, in order. A terminal event's output (`terminalOutput.bytes`, and its `payload`
   * until first read) lives in the spool's read buffer, which the next `read` reuses: whoever keeps
   * events past that copies them (`{...event}` is a plain copy, payload included); the payload of
   * an event kept as it is cannot be read after the next `read` (it throws).
   */
  events: RecordedEvent[];
  /** Where the spool stands once `events` are shipped: pass to `commit`. */
  next: SpoolPosition;
  /** Lines that could not be parsed (a torn write after a node crash) and were skipped. */
  skipped: number;
}

const SEGMENT = /^segment-(\d{12})\.jsonl$/;
const segmentName = (n: number) => `segment-${String(n).padStart(12, '0')}.jsonl`;

export class Spool {
  readonly dir: string;
  private readonly segmentBytes: number;
  private readonly sizes = new Map<number, number>();
  private current: number;
  private fd: number;
  private dirty = false;
  private syncing = false;
  private readonly syncTimer: NodeJS.Timeout | undefined;
  private committed: SpoolPosition;
  private reader: { segment: number; handle: FileHandle } | undefined;
  private readonly listeners: (() => void)[] = [];
  /**
   * The read buffer, one for every read: a new one per batch, kept alive by the batch's views of
   * it until the store took the batch, was external memory that made V8 run full collections
   * (measured: sidecar CPU to ship 256 MiB of output 3.4 s with a buffer per read, 1.35 s reused).
   */
  private readBuffer = Buffer.alloc(0);
  /** Whether the views the last batch holds of `readBuffer` still show what was read. */
  private lease: ReadLease = { live: false, dir: '' };

  constructor(private readonly options: SpoolOptions) {
    this.dir = options.dir;
    this.segmentBytes = options.segmentBytes ?? 8 * 1024 * 1024;
    try {
      mkdirSync(this.dir, { recursive: true, mode: 0o700 });
      for (const name of readdirSync(this.dir)) {
        const m = SEGMENT.exec(name);
        if (m) this.sizes.set(Number(m[1]), statSync(join(this.dir, name)).size);
      }
    } catch (error) {
      throw new SpoolError(`cannot open the spool directory: ${String(error)}`, this.dir, { cause: error });
    }
    this.committed = this.readCommitted();
    const highest = Math.max(0, this.committed.segment, ...this.sizes.keys());
    this.current = highest + 1;
    this.fd = this.openSegment(this.current);
    if (options.fsync.mode === 'interval') {
      this.syncTimer = setInterval(() => this.syncInBackground(), options.fsync.intervalMs);
      this.syncTimer.unref();
    }
  }

  /** Bytes appended and not yet committed as shipped: what the spool bound is measured against. */
  get depth(): number {
    let total = 0;
    for (const [segment, size] of this.sizes) if (segment >= this.committed.segment) total += size;
    return total - (this.sizes.has(this.committed.segment) ? this.committed.offset : 0);
  }

  /** Everything before this is in the store. */
  get position(): SpoolPosition {
    return { ...this.committed };
  }

  /** Called after every append (the shipper's wake-up). */
  onAppend(listener: () => void): void {
    this.listeners.push(listener);
  }

  /**
   * Appends one event; it is in the kernel (and on disk with `fsync: always`) when this returns.
   * `line` is the event already serialised (sealEventToLine), newline included.
   */
  append(event: RecordedEvent, line = `${JSON.stringify(event)}\n`): number {
    return this.appendBytes(Buffer.from(line, 'utf8'));
  }

  /**
   * Appends whole lines already encoded (each newline-terminated, in order: the recorder's batch of
   * an event-loop turn, line-buffer.ts) with one write; in the kernel when this returns, so the
   * caller may reuse `bytes` at once.
   */
  appendBytes(bytes: Buffer): number {
    const path = join(this.dir, segmentName(this.current));
    try {
      let written = 0;
      while (written < bytes.length) written += writeSync(this.fd, bytes, written, bytes.length - written);
      if (this.options.fsync.mode === 'always') fdatasyncSync(this.fd);
      else this.dirty = true;
    } catch (error) {
      throw new SpoolError(
        `cannot append to the spool: ${error instanceof Error ? error.message : String(error)}`,
        path,
        { cause: error },
      );
    }
    const size = (this.sizes.get(this.current) ?? 0) + bytes.length;
    this.sizes.set(this.current, size);
    if (size >= this.segmentBytes) this.rotate();
    for (const l of this.listeners) l();
    return bytes.length;
  }

  /** fdatasync if anything was appended since the last one (close, and rotation's own). */
  sync(): void {
    if (!this.dirty) return;
    this.dirty = false;
    try {
      fdatasyncSync(this.fd);
    } catch {
      this.dirty = true;
    }
  }

  /**
   * The `interval` policy's timer: the same fdatasync on libuv's thread pool, so a slow disk does
   * not stall the event loop (and every request on it) for the sync's duration. A rotation in the
   * meantime syncs and closes the old segment itself; a sync that then fails marks it dirty again.
   */
  private syncInBackground(): void {
    if (!this.dirty || this.syncing) return;
    this.dirty = false;
    this.syncing = true;
    fdatasync(this.fd, (error) => {
      this.syncing = false;
      if (error) this.dirty = true;
    });
  }

  /**
   * Reads the next events after the committed position, at most `maxBytes` of them, never across a
   * segment boundary. Only whole lines are returned; a segment that ends in a partial line is the
   * remains of a crash when it is not the one being written, and that tail is skipped.
   */
  async read(maxBytes: number): Promise<SpoolBatch> {
    let position = { ...this.committed };
    let skipped = 0;
    for (;;) {
      const size = this.sizes.get(position.segment);
      if (size === undefined || position.offset >= size) {
        if (position.segment >= this.current) return { events: [], next: position, skipped };
        position = { segment: this.nextSegmentAfter(position.segment), offset: 0 };
        continue;
      }
      const length = Math.min(maxBytes, size - position.offset);
      this.lease.live = false;
      const lease: ReadLease = (this.lease = { live: true, dir: this.dir });
      if (this.readBuffer.length < length) this.readBuffer = Buffer.alloc(length);
      const buffer = this.readBuffer;
      const handle = await this.handleFor(position.segment);
      const { bytesRead } = await handle.read(buffer, 0, length, position.offset);
      const end = buffer.lastIndexOf(0x0a, bytesRead - 1);
      if (end < 0) {
        if (position.segment < this.current && position.offset + bytesRead >= size) {
          // A torn tail left by a crash: nothing follows it in this segment.
          skipped += 1;
          position = { segment: this.nextSegmentAfter(position.segment), offset: 0 };
          continue;
        }
        if (bytesRead === maxBytes)
          throw new SpoolError(
            `a spooled event is longer than ${maxBytes} bytes`,
            join(this.dir, segmentName(position.segment)),
          );
        return { events: [], next: position, skipped };
      }
      const events: RecordedEvent[] = [];
      // Line by line from the buffer: the whole batch as one string would be a large-object string.
      // A terminal line's output is decoded in place, and its event holds a view of `buffer`.
      for (let start = 0; start < end;) {
        let stop = buffer.indexOf(0x0a, start);
        if (stop < 0 || stop > end) stop = end;
        if (stop > start) {
          const event = readSpoolLine(buffer, start, stop, lease);
          if (event) events.push(event);
          else skipped += 1;
        }
        start = stop + 1;
      }
      return { events, next: { segment: position.segment, offset: position.offset + end + 1 }, skipped };
    }
  }

  /** Records `position` as shipped, durably, and deletes segments wholly before it. */
  async commit(position: SpoolPosition): Promise<void> {
    const file = join(this.dir, 'shipped.json');
    // Asynchronous (the thread pool): the two fsyncs would otherwise hold up the event loop, and
    // the requests on it, once per shipped batch.
    try {
      const tmp = await open(`${file}.tmp`, 'w', 0o600);
      try {
        await tmp.writeFile(JSON.stringify(position));
        await tmp.sync();
      } finally {
        await tmp.close();
      }
      await rename(`${file}.tmp`, file);
      const dir = await open(this.dir, 'r');
      try {
        await dir.sync();
      } finally {
        await dir.close();
      }
    } catch (error) {
      throw new SpoolError(`cannot record the shipped position: ${String(error)}`, file, { cause: error });
    }
    this.committed = { ...position };
    for (const segment of [...this.sizes.keys()]) {
      if (segment < position.segment) {
        if (this.reader?.segment === segment) {
          await this.reader.handle.close();
          this.reader = undefined;
        }
        await rm(join(this.dir, segmentName(segment)), { force: true });
        this.sizes.delete(segment);
      }
    }
  }

  /** Flushes to disk and closes the files. */
  async close(): Promise<void> {
    if (this.syncTimer) clearInterval(this.syncTimer);
    this.dirty = true;
    this.sync();
    closeSync(this.fd);
    await this.reader?.handle.close();
    this.reader = undefined;
  }

  private nextSegmentAfter(segment: number): number {
    const later = [...this.sizes.keys()].filter((s) => s > segment).sort((a, b) => a - b);
    return later[0] ?? this.current;
  }

  private async handleFor(segment: number): Promise<FileHandle> {
    if (this.reader?.segment === segment) return this.reader.handle;
    await this.reader?.handle.close();
    const handle = await open(join(this.dir, segmentName(segment)), 'r');
    this.reader = { segment, handle };
    return handle;
  }

  private openSegment(n: number): number {
    const path = join(this.dir, segmentName(n));
    try {
      const fd = openSync(path, 'wx', 0o600);
      this.sizes.set(n, 0);
      return fd;
    } catch (error) {
      throw new SpoolError(`cannot create a spool segment: ${String(error)}`, path, { cause: error });
    }
  }

  /**
   * Closes the full segment and opens the next. The closed segment's sync runs on the thread pool
   * (as the interval's does), so a rotation does not stall the event loop; with `fsync: always`
   * every append was synced already.
   */
  private rotate(): void {
    const full = this.fd;
    // A failed sync of a segment already written is not retried: the next appends (or the
    // interval's sync) fail the same way on a broken disk, and that failure refuses commands.
    if (this.dirty) fdatasync(full, () => closeSync(full));
    else closeSync(full);
    this.dirty = false;
    this.current += 1;
    this.fd = this.openSegment(this.current);
  }

  private readCommitted(): SpoolPosition {
    const file = join(this.dir, 'shipped.json');
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch {
      const first = Math.min(...this.sizes.keys());
      return { segment: Number.isFinite(first) ? first : 0, offset: 0 };
    }
    try {
      const p = JSON.parse(text) as SpoolPosition;
      if (Number.isInteger(p.segment) && Number.isInteger(p.offset)) return p;
    } catch {
      // fall through
    }
    throw new SpoolError('the shipped position is unreadable; refusing to guess what was shipped', file);
  }
}
