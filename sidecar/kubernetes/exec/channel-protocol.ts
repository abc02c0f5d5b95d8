/**
 * The Kubernetes remotecommand WebSocket channel protocols (k8s.io/apimachinery
 * pkg/util/remotecommand and apiserver's wsstream): every message starts with its channel —
 * 0 stdin, 1 stdout, 2 stderr, 3 error (a Status from v4 on), 4 resize — as a byte in the
 * binary protocols, or as an ASCII digit before base64 text in the `base64.` ones. v5 adds
 * channel 255, "close": its one data byte names the channel whose writer has finished.
 */

export const EXEC_CHANNELS = ['stdin', 'stdout', 'stderr', 'error', 'resize'] as const;
export type ExecChannel = (typeof EXEC_CHANNELS)[number];

export const CLOSE_CHANNEL = 255;

/** Subprotocols this relay understands, most preferred first, as kubectl and the API server name them. */
export const BINARY_CHANNEL_PROTOCOLS = [
  'v5.channel.k8s.io',
  'v4.channel.k8s.io',
  'v3.channel.k8s.io',
  'v2.channel.k8s.io',
  'channel.k8s.io',
] as const;
export const BASE64_CHANNEL_PROTOCOLS = [
  'v4.base64.channel.k8s.io',
  'v3.base64.channel.k8s.io',
  'v2.base64.channel.k8s.io',
  'base64.channel.k8s.io',
] as const;
/** kubectl port-forward over WebSocket tunnels SPDY inside binary messages (KEP-4006). */
export const PORT_FORWARD_TUNNEL_PROTOCOL = 'SPDY/3.1+portforward.k8s.io';
export const PORT_FORWARD_PROTOCOLS = [
  PORT_FORWARD_TUNNEL_PROTOCOL,
  'v4.channel.k8s.io',
  'portforward.k8s.io',
];

export const EXEC_PROTOCOLS: readonly string[] = [...BINARY_CHANNEL_PROTOCOLS, ...BASE64_CHANNEL_PROTOCOLS];

export type ChannelMessage =
  | { kind: 'data'; channel: ExecChannel; data: Buffer }
  | { kind: 'close'; channel: ExecChannel }
  | { kind: 'invalid'; reason: string };

function channelName(n: number): ExecChannel | undefined {
  return EXEC_CHANNELS[n];
}

/** Splits one WebSocket message of `protocol` into its channel and payload. */
export function decodeChannelMessage(protocol: string, message: Buffer, isBinary: boolean): ChannelMessage {
  if (message.length === 0) return { kind: 'invalid', reason: 'empty message has no channel' };
  const base64 = (BASE64_CHANNEL_PROTOCOLS as readonly string[]).includes(protocol);
  if (base64) {
    if (isBinary) return { kind: 'invalid', reason: `${protocol} carries text messages` };
    const digit = message[0]! - 0x30;
    const channel = channelName(digit);
    if (!channel) return { kind: 'invalid', reason: `unknown channel ${String.fromCharCode(message[0]!)}` };
    return { kind: 'data', channel, data: Buffer.from(message.subarray(1).toString('latin1'), 'base64') };
  }
  if (!(BINARY_CHANNEL_PROTOCOLS as readonly string[]).includes(protocol))
    return { kind: 'invalid', reason: `${protocol} is not a channel protocol` };
  const first = message[0]!;
  if (first === CLOSE_CHANNEL && protocol === 'v5.channel.k8s.io') {
    const closed = message.length > 1 ? channelName(message[1]!) : undefined;
    if (!closed) return { kind: 'invalid', reason: 'close signal names no known channel' };
    return { kind: 'close', channel: closed };
  }
  const channel = channelName(first);
  if (!channel) return { kind: 'invalid', reason: `unknown channel ${first}` };
  return { kind: 'data', channel, data: message.subarray(1) };
}

/** One message on `channel` in `protocol`; the relay uses it only for its own waiting notices. */
export function encodeChannelMessage(
  protocol: string,
  channel: ExecChannel,
  data: Buffer,
): { data: Buffer | string; binary: boolean } {
  const index = EXEC_CHANNELS.indexOf(channel);
  if ((BASE64_CHANNEL_PROTOCOLS as readonly string[]).includes(protocol))
    return { data: `${index}${data.toString('base64')}`, binary: false };
  return { data: Buffer.concat([Buffer.from([index]), data]), binary: true };
}

/** Whether the error channel carries a JSON Status (v4 and later) rather than plain text. */
export function statusOnErrorChannel(protocol: string): boolean {
  return protocol.startsWith('v4.') || protocol.startsWith('v5.');
}
