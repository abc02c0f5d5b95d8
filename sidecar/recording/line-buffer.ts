/**
 * The bytes of the spool lines a recorder has sealed and not yet written: one reusable Buffer the
 * lines are encoded into as they are sealed, handed to the spool in one write. Recorded terminal
 * output is most of what a sidecar spools (a whole `cat` of a file, 4/3 of it as base64), and
 * building each line as a string cost a string for the payload, one for the hashed form, one for the
 * line, their UTF-8 copies for the hash and the write, and the young-generation collections that
 * copy whichever of them a collection finds alive: several passes over every recorded byte. Here a
 * terminal line costs its base64 string and one copy of it.
 */
export class LineBuffer {
  private buffer: Buffer;
  private used = 0;

  /**
   * `initialBytes` is kept between writes; a turn that needed more gets a larger buffer, which is
   * given up again after its write (`clear`) so one burst does not pin memory for good.
   */
  constructor(private readonly initialBytes = 256 * 1024) {
    this.buffer = Buffer.allocUnsafe(initialBytes);
  }

  get length(): number {
    return this.used;
  }

  /** The lines so far. A view: valid until the next write into this buffer or `clear`. */
  bytes(): Buffer {
    return this.buffer.subarray(0, this.used);
  }

  clear(): void {
    this.used = 0;
    if (this.buffer.length > 4 * this.initialBytes) this.buffer = Buffer.allocUnsafe(this.initialBytes);
  }

  /** Makes room for `bytes` more. */
  reserve(bytes: number): void {
    const needed = this.used + bytes;
    if (needed <= this.buffer.length) return;
    const grown = Buffer.allocUnsafe(Math.max(needed, 2 * this.buffer.length));
    this.buffer.copy(grown, 0, 0, this.used);
    this.buffer = grown;
  }

  /** Appends text known to be ASCII (base64, hex, digits, the line's fixed keys): one byte per character. */
  writeAscii(text: string): void {
    this.reserve(text.length);
    this.used += this.buffer.write(text, this.used, 'latin1');
  }

  /** Appends any text as UTF-8. */
  writeUtf8(text: string): void {
    this.reserve(Buffer.byteLength(text, 'utf8'));
    this.used += this.buffer.write(text, this.used, 'utf8');
  }

  /** The bytes from `start` to the end: e.g. a line being sealed, to hash. A view, as `bytes()`. */
  from(start: number): Buffer {
    return this.buffer.subarray(start, this.used);
  }

  /** Drops everything after `position` (a mark taken from `length`). */
  truncate(position: number): void {
    if (position < 0 || position > this.used)
      throw new RangeError(`cannot truncate to ${position} of ${this.used}`);
    this.used = position;
  }
}
