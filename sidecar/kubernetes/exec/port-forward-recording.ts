/**
 * What a port-forward session records: which ports were tunnelled and how many bytes crossed in
 * each direction, never the bytes themselves (they are arbitrary application traffic). One
 * `result` event per port when the connection ends.
 */
import type { SessionRecorder } from '../../enforcement/recorder.js';
import type { Direction } from './spdy-tap.js';

export class PortForwardRecording {
  private readonly ports = new Map<number, { fromClient: number; fromServer: number; tunnels: number }>();
  private unattributed = { fromClient: 0, fromServer: 0 };
  private ended = false;

  constructor(
    private readonly recorder: SessionRecorder,
    private readonly session: string,
    /** The `ports=` of the request (WebSocket port-forward names them there). */
    requestedPorts: number[],
  ) {
    for (const port of requestedPorts) this.entry(port);
  }

  private entry(port: number) {
    let e = this.ports.get(port);
    if (!e) {
      e = { fromClient: 0, fromServer: 0, tunnels: 0 };
      this.ports.set(port, e);
    }
    return e;
  }

  opened(port: number): void {
    this.entry(port).tunnels++;
  }

  bytes(port: number | undefined, count: number, from: Direction): void {
    const e = port === undefined ? this.unattributed : this.entry(port);
    if (from === 'client') e.fromClient += count;
    else e.fromServer += count;
  }

  end(why: string): void {
    if (this.ended) return;
    this.ended = true;
    for (const [port, e] of this.ports)
      this.recorder.record(this.session, {
        type: 'result',
        tag: `port-forward ${port}: ${e.tunnels} tunnel(s), ${e.fromClient} bytes to the pod, ${e.fromServer} bytes from the pod (${why})`,
      });
    const u = this.unattributed;
    if (u.fromClient + u.fromServer > 0 || this.ports.size === 0)
      this.recorder.record(this.session, {
        type: 'result',
        tag: `port-forward: ${u.fromClient} bytes to the pod, ${u.fromServer} bytes from the pod (${why})`,
      });
  }
}
