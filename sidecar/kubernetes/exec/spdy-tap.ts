/**
 * Watches both directions of a SPDY/3.1 exec, attach or port-forward connection and reports what
 * each stream carries. kubectl opens one stream per channel and names it in the SYN_STREAM's
 * `streamtype` header (`stdin`, `stdout`, `stderr`, `error`, `resize`; port-forward uses `data`
 * and `error` with a `port` header), so the stream id maps every later data frame to a channel.
 * The tap sees copies of the bytes; nothing it does changes what is relayed.
 */
import type { ExecChannel } from './channel-protocol.js';
import { EXEC_CHANNELS } from './channel-protocol.js';
import { SpdyHeaderDecoder } from './spdy-headers.js';
import { controlStreamId, headerBlockOf, SpdyControlType, SpdyFrameParser } from './spdy-frames.js';

export type Direction = 'client' | 'server';

export interface SpdyTapSink {
  /** Data of an exec channel stream, in the direction it flowed. */
  channel(channel: ExecChannel, data: Buffer, from: Direction): void;
  /** Port-forward data on `port` (content is not recorded, only its size). */
  portData?(port: number, bytes: number, from: Direction): void;
  /** A port-forward tunnel opened for `port`. */
  portOpened?(port: number): void;
}

type StreamKind =
  { kind: 'channel'; channel: ExecChannel } | { kind: 'port'; port: number } | { kind: 'other' };

export class SpdyTap {
  private readonly parsers: Record<Direction, SpdyFrameParser> = {
    client: new SpdyFrameParser(),
    server: new SpdyFrameParser(),
  };
  private readonly decoders: Record<Direction, SpdyHeaderDecoder> = {
    client: new SpdyHeaderDecoder(),
    server: new SpdyHeaderDecoder(),
  };
  private readonly streams = new Map<number, StreamKind>();

  constructor(private readonly sink: SpdyTapSink) {}

  /** Bytes one side sent; throws SpdyFrameError when they are not SPDY/3.1. */
  push(from: Direction, chunk: Buffer): void {
    for (const frame of this.parsers[from].push(chunk)) {
      if (!frame.control) {
        this.data(frame.streamId, frame.data, from);
        continue;
      }
      const block = headerBlockOf(frame);
      // Every header block must pass through its direction's decoder, in order, to keep it in step.
      const headers = block ? this.decoders[from].decode(block) : undefined;
      if (frame.type === SpdyControlType.SYN_STREAM && headers) {
        const id = controlStreamId(frame);
        if (id !== undefined) this.streams.set(id, this.kindOf(headers));
      }
    }
  }

  private kindOf(headers: Map<string, string[]>): StreamKind {
    const type = headers.get('streamtype')?.[0] ?? '';
    const port = Number(headers.get('port')?.[0]);
    if (type === 'data' && Number.isInteger(port)) {
      this.sink.portOpened?.(port);
      return { kind: 'port', port };
    }
    if ((EXEC_CHANNELS as readonly string[]).includes(type))
      return { kind: 'channel', channel: type as ExecChannel };
    return { kind: 'other' };
  }

  private data(streamId: number, data: Buffer, from: Direction): void {
    const stream = this.streams.get(streamId);
    if (!stream || data.length === 0) return;
    if (stream.kind === 'channel') this.sink.channel(stream.channel, data, from);
    else if (stream.kind === 'port') this.sink.portData?.(stream.port, data.length, from);
  }
}
