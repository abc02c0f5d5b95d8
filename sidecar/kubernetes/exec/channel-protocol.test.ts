import { describe, expect, it } from 'vitest';
import { MemoryRecorder } from '../../enforcement/recorder.js';
import { decodeChannelMessage, encodeChannelMessage } from './channel-protocol.js';
import { ExecRecording, parseExecOutcome } from './exec-recording.js';

describe('decodeChannelMessage', () => {
  it('reads the channel byte of the binary protocols', () => {
    expect(decodeChannelMessage('v4.channel.k8s.io', Buffer.from('\x01hi'), true)).toEqual({
      kind: 'data',
      channel: 'stdout',
      data: Buffer.from('hi'),
    });
    expect(decodeChannelMessage('v5.channel.k8s.io', Buffer.from([0, 0x6c, 0x73]), true)).toMatchObject({
      channel: 'stdin',
      data: Buffer.from('ls'),
    });
    expect(
      decodeChannelMessage('v5.channel.k8s.io', Buffer.from([4, ...Buffer.from('{}')]), true),
    ).toMatchObject({
      channel: 'resize',
    });
  });

  it('reads v5 close signals and refuses them before v5', () => {
    expect(decodeChannelMessage('v5.channel.k8s.io', Buffer.from([255, 0]), true)).toEqual({
      kind: 'close',
      channel: 'stdin',
    });
    expect(decodeChannelMessage('v4.channel.k8s.io', Buffer.from([255, 0]), true).kind).toBe('invalid');
    expect(decodeChannelMessage('v5.channel.k8s.io', Buffer.from([255, 9]), true).kind).toBe('invalid');
  });

  it('decodes the base64 protocols (ASCII channel digit, base64 payload, text frames)', () => {
    const encoded = encodeChannelMessage('v4.base64.channel.k8s.io', 'stderr', Buffer.from('boom'));
    expect(encoded).toEqual({ data: `2${Buffer.from('boom').toString('base64')}`, binary: false });
    expect(
      decodeChannelMessage('v4.base64.channel.k8s.io', Buffer.from(encoded.data as string), false),
    ).toEqual({
      kind: 'data',
      channel: 'stderr',
      data: Buffer.from('boom'),
    });
    expect(decodeChannelMessage('base64.channel.k8s.io', Buffer.from('9AAAA'), false).kind).toBe('invalid');
  });

  it('calls empty messages, unknown channels and unknown protocols invalid', () => {
    expect(decodeChannelMessage('v4.channel.k8s.io', Buffer.alloc(0), true).kind).toBe('invalid');
    expect(decodeChannelMessage('v4.channel.k8s.io', Buffer.from([7, 1]), true).kind).toBe('invalid');
    expect(decodeChannelMessage('chat', Buffer.from([1, 1]), true).kind).toBe('invalid');
  });
});

describe('parseExecOutcome', () => {
  it('reads Success, NonZeroExitCode and failures from a v4 Status', () => {
    expect(parseExecOutcome('{"metadata":{},"status":"Success"}', true)).toEqual({ kind: 'exit', code: 0 });
    expect(
      parseExecOutcome(
        JSON.stringify({
          status: 'Failure',
          reason: 'NonZeroExitCode',
          message: 'command terminated with non-zero exit code',
          details: { causes: [{ reason: 'ExitCode', message: '42' }] },
        }),
        true,
      ),
    ).toEqual({ kind: 'exit', code: 42 });
    expect(parseExecOutcome('{"status":"Failure","message":"no such file"}', true)).toEqual({
      kind: 'error',
      message: 'no such file',
    });
    expect(parseExecOutcome('', true)).toEqual({ kind: 'unknown' });
    expect(parseExecOutcome('', false)).toEqual({ kind: 'exit', code: 0 });
  });
});

describe('ExecRecording', () => {
  it('records stdin, stdout, stderr as base64 terminal events, resizes, and the exit status at the end', () => {
    const recorder = new MemoryRecorder();
    const rec = new ExecRecording(recorder, 's1', true);
    rec.chunk('stdin', Buffer.from('ls\n'), 'message');
    rec.chunk('stdout', Buffer.from([0xe2, 0x82]), 'message');
    rec.chunk('stderr', Buffer.from('warn'), 'stream');
    rec.chunk('resize', Buffer.from('{"Width":120,"Height":40}\n{"Width":80,'), 'stream');
    rec.chunk('resize', Buffer.from('"Height":24}\n'), 'stream');
    rec.chunk('error', Buffer.from('{"status":"Failure","reason":"NonZeroExitCode",'), 'stream');
    rec.chunk('error', Buffer.from('"details":{"causes":[{"reason":"ExitCode","message":"2"}]}}'), 'stream');
    rec.end('client closed');
    rec.end('twice');
    expect(
      recorder.events.map(({ session: _s, ...e }) => ('elapsedMs' in e ? { ...e, elapsedMs: 0 } : e)),
    ).toEqual([
      { type: 'terminal', stream: 'stdin', data: Buffer.from('ls\n').toString('base64'), elapsedMs: 0 },
      { type: 'terminal', stream: 'stdout', data: '4oI=', elapsedMs: 0 },
      { type: 'terminal', stream: 'stderr', data: Buffer.from('warn').toString('base64'), elapsedMs: 0 },
      { type: 'resize', cols: 120, rows: 40, elapsedMs: 0 },
      { type: 'resize', cols: 80, rows: 24, elapsedMs: 0 },
      { type: 'result', tag: 'exit status 2' },
    ]);
  });

  it('ends with who closed it when the error channel said nothing', () => {
    const recorder = new MemoryRecorder();
    const rec = new ExecRecording(recorder, 's2', true);
    rec.end('client disconnected');
    expect(recorder.events).toEqual([{ session: 's2', type: 'result', tag: 'client disconnected' }]);
  });
});
