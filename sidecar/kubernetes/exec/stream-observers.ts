/**
 * What the relays tell recording: raw bytes (SPDY over the upgraded TCP stream) or whole messages
 * (WebSocket), per direction. An observer that cannot read what it is shown throws
 * {@link UnrecordableStreamError}; the relay then ends the session instead of relaying bytes
 * it cannot record (fail closed).
 */
import type { SessionRecorder } from '../../enforcement/recorder.js';
import {
  decodeChannelMessage,
  PORT_FORWARD_TUNNEL_PROTOCOL,
  statusOnErrorChannel,
} from './channel-protocol.js';
import { ExecRecording } from './exec-recording.js';
import { PortForwardRecording } from './port-forward-recording.js';
import { SpdyTap, type Direction } from './spdy-tap.js';
import { WebSocketFrameReader } from './websocket-frame-reader.js';

export class UnrecordableStreamError extends Error {
  override name = 'UnrecordableStreamError';
}

export interface ByteObserver {
  bytes(from: Direction, chunk: Buffer): void;
  end(why: string): void;
}

export interface MessageObserver {
  message(from: Direction, data: Buffer, isBinary: boolean): void;
  end(why: string): void;
}

export type StreamKind = 'exec' | 'attach' | 'portforward';

export interface ObserverContext {
  kind: StreamKind;
  recorder: SessionRecorder;
  session: string;
  /** `ports=` of a port-forward request. */
  requestedPorts: number[];
}

function spdyTapFor(
  ctx: ObserverContext,
  exec: ExecRecording | undefined,
  forward: PortForwardRecording | undefined,
): SpdyTap {
  return new SpdyTap({
    channel: (channel, data) => exec?.chunk(channel, data, 'stream'),
    portOpened: (port) => forward?.opened(port),
    portData: (port, bytes, from) => forward?.bytes(port, bytes, from),
  });
}

/** SPDY/3.1 straight on the upgraded connection; `streamProtocol` is the X-Stream-Protocol-Version agreed. */
export function spdyObserver(ctx: ObserverContext, streamProtocol: string): ByteObserver {
  const exec =
    ctx.kind === 'portforward'
      ? undefined
      : new ExecRecording(ctx.recorder, ctx.session, statusOnErrorChannel(streamProtocol));
  const forward =
    ctx.kind === 'portforward'
      ? new PortForwardRecording(ctx.recorder, ctx.session, ctx.requestedPorts)
      : undefined;
  const tap = spdyTapFor(ctx, exec, forward);
  return {
    bytes(from, chunk) {
      try {
        tap.push(from, chunk);
      } catch (error) {
        throw new UnrecordableStreamError(error instanceof Error ? error.message : String(error));
      }
    },
    end(why) {
      exec?.end(why);
      forward?.end(why);
    },
  };
}

/**
 * Port-forward's `SPDY/3.1+portforward.k8s.io`, relayed as raw bytes: WebSocket frames whose
 * payloads, in order, are a SPDY/3.1 connection (one tunnel per SYN_STREAM with its `port`).
 */
export function tunnelObserver(ctx: ObserverContext): ByteObserver {
  const forward = new PortForwardRecording(ctx.recorder, ctx.session, ctx.requestedPorts);
  const tap = spdyTapFor(ctx, undefined, forward);
  const readers: Record<Direction, WebSocketFrameReader> = {
    client: new WebSocketFrameReader((payload) => tap.push('client', payload)),
    server: new WebSocketFrameReader((payload) => tap.push('server', payload)),
  };
  return {
    bytes(from, chunk) {
      try {
        readers[from].push(chunk);
      } catch (error) {
        throw new UnrecordableStreamError(error instanceof Error ? error.message : String(error));
      }
    },
    end: (why) => forward.end(why),
  };
}

/** WebSocket messages of the agreed subprotocol. */
export function webSocketObserver(ctx: ObserverContext, protocol: string): MessageObserver {
  if (ctx.kind === 'portforward') {
    const forward = new PortForwardRecording(ctx.recorder, ctx.session, ctx.requestedPorts);
    const tunnel =
      protocol === PORT_FORWARD_TUNNEL_PROTOCOL ? spdyTapFor(ctx, undefined, forward) : undefined;
    const single = ctx.requestedPorts.length === 1 ? ctx.requestedPorts[0] : undefined;
    return {
      message(from, data) {
        if (!tunnel) {
          // Channel-per-port protocol: 2 channels per requested port, in order (data, error).
          forward.bytes(single, Math.max(0, data.length - 1), from);
          return;
        }
        try {
          tunnel.push(from, data);
        } catch (error) {
          throw new UnrecordableStreamError(error instanceof Error ? error.message : String(error));
        }
      },
      end: (why) => forward.end(why),
    };
  }
  const exec = new ExecRecording(ctx.recorder, ctx.session, statusOnErrorChannel(protocol));
  return {
    message(_from, data, isBinary) {
      const decoded = decodeChannelMessage(protocol, data, isBinary);
      if (decoded.kind === 'invalid') throw new UnrecordableStreamError(decoded.reason);
      if (decoded.kind === 'data') exec.chunk(decoded.channel, decoded.data, 'message');
    },
    end: (why) => exec.end(why),
  };
}
