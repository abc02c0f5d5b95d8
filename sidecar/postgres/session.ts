/**
 * One client session through the PostgreSQL proxy, after start-up: every message the client sends
 * is judged before it reaches the server, results are masked before they reach the client, and a
 * denial is an ErrorResponse (SQLSTATE 42501) after which the session goes on (DESIGN.md §4-5).
 *
 * Ordering is the subtle part. The server answers requests in order, so the proxy's own answers
 * (a denial, a ReadyForQuery closing a discarded batch) wait until the server owes nothing, and a
 * denial in the middle of an extended-protocol batch first closes the part already forwarded with
 * a Sync of the proxy's own, whose ReadyForQuery is swallowed.
 */
import type { Socket } from 'node:net';
import type { Logger } from 'pino';
import type { Command, Identity } from '../core/command.js';
import type { Enforcer, Verdict } from '../enforcement/enforcer.js';
import type { SidecarMetrics } from '../enforcement/metrics.js';
import type { SessionRecorder } from '../enforcement/recorder.js';
import { maskerFor, type CompiledMaskingRule } from '../masking/index.js';
import type { Decision } from '../policy/index.js';
import {
  BackendType,
  commandTag,
  decodeBackend,
  encodeBackendKeyData,
  encodeErrorResponse,
  encodeNoticeResponse,
  encodeParameterStatus,
  encodeReadyForQuery,
  encodeAuthentication,
  AuthenticationCode,
  readyForQueryStatus,
  type BackendFrame,
  type TransactionStatus,
} from './backend-messages.js';
import type { CatalogLookup } from './catalog.js';
import type { FrontendMessage, TypedMessage } from './frontend-messages.js';
import type { FrontendParser } from './frontend-parser.js';
import { PostgresProtocolError, SqlState } from './protocol-error.js';
import { ResponseTracker, type ColumnInfo } from './response-tracker.js';
import { BinaryColumnError, ResultMasker } from './result-masker.js';
import type { SqlCommands } from './sql-commands.js';
import { sendCancel, type UpstreamSession, type UpstreamTarget } from './upstream.js';

export interface SessionDeps {
  id: string;
  connection: string;
  identity: Identity;
  client: Socket;
  parser: FrontendParser;
  upstream: UpstreamSession;
  upstreamTarget: UpstreamTarget;
  commands: SqlCommands;
  enforcer: Enforcer;
  recorder: SessionRecorder;
  metrics: SidecarMetrics;
  catalog: CatalogLookup;
  logger: Logger;
  cancelKey: { processId: number; secretKey: Buffer };
  /** How many masked rows a result records, at most. */
  recordedRowSample?: number;
}

type Phase = 'running' | 'discarding' | 'closed';

export class PostgresSession {
  private phase: Phase = 'running';
  private readonly tracker = new ResponseTracker();
  private readonly inbox: TypedMessage[] = [];
  private processing = false;
  /** The proxy's own answers, waiting for the server to owe nothing. */
  private readonly deferred: Buffer[] = [];
  private transactionStatus: TransactionStatus;
  private approvalAbort: AbortController | undefined;
  private resultMasker: ResultMasker | undefined;
  private maskerRules: CompiledMaskingRule[] | undefined;
  private rowsInResult = 0;
  private maskedInResult = 0;
  /** A result that must be refused because a column cannot be masked. */
  private refusedResult: BinaryColumnError | undefined;
  private upstreamPaused = false;
  private readonly upstreamBacklog: BackendFrame[] = [];

  private readonly bytesUpstream;
  private readonly bytesDownstream;

  constructor(private readonly deps: SessionDeps) {
    this.transactionStatus = deps.upstream.transactionStatus;
    // Bound once: looking labels up per read shows in profiles.
    this.bytesUpstream = deps.metrics.bytes.labels({ protocol: 'postgres', direction: 'upstream' });
    this.bytesDownstream = deps.metrics.bytes.labels({ protocol: 'postgres', direction: 'downstream' });
  }

  /** Sends the client what a server sends after authentication, then starts relaying. */
  start(pending: FrontendMessage[]): void {
    const { client, upstream } = this.deps;
    client.cork();
    client.write(encodeAuthentication(AuthenticationCode.ok));
    for (const [name, value] of upstream.parameters) client.write(encodeParameterStatus(name, value));
    client.write(encodeBackendKeyData(this.deps.cancelKey.processId, this.deps.cancelKey.secretKey));
    client.write(encodeReadyForQuery(this.transactionStatus));
    client.uncork();

    client.on('data', (chunk: Buffer) => this.onClientData(chunk));
    client.on('close', () => this.close('client disconnected'));
    client.on('error', (error) => this.close(`client error: ${error.message}`));
    upstream.socket.on('data', (chunk: Buffer) => this.onUpstreamData(chunk));
    upstream.socket.on('close', () => this.upstreamLost('the database closed the connection'));
    upstream.socket.on('error', (error) =>
      this.upstreamLost(`the database connection failed: ${error.message}`),
    );

    this.enqueue(pending as TypedMessage[]);
    if (upstream.leftover.length > 0) this.relayUpstream(upstream.leftover);
  }

  /** CancelRequest for this session: withdraw a held command, else cancel the running query. */
  cancel(): void {
    if (this.approvalAbort) {
      this.approvalAbort.abort(new Error('canceled by the client'));
      return;
    }
    const { upstreamTarget, upstream } = this.deps;
    sendCancel(upstreamTarget, upstream.backendKey).catch((error: Error) =>
      this.deps.logger.warn({ err: error.message }, 'forwarding a cancel request failed'),
    );
  }

  // ---- client to server -------------------------------------------------------------------

  private onClientData(chunk: Buffer): void {
    this.bytesUpstream.inc(chunk.length);
    let messages: FrontendMessage[];
    try {
      messages = this.deps.parser.push(chunk);
    } catch (error) {
      this.fatal(error instanceof PostgresProtocolError ? error : new PostgresProtocolError(String(error)));
      return;
    }
    this.enqueue(messages as TypedMessage[]);
  }

  private enqueue(messages: TypedMessage[]): void {
    if (messages.length === 0) return;
    this.inbox.push(...messages);
    if (!this.processing) void this.drain();
  }

  /** Handles client messages strictly in order; only an approval wait makes it yield. */
  private async drain(): Promise<void> {
    this.processing = true;
    const upstream = this.deps.upstream.socket;
    try {
      upstream.cork();
      while (this.inbox.length > 0 && this.phase !== 'closed') {
        const message = this.inbox.shift()!;
        const wait = this.handle(message);
        if (wait) {
          upstream.uncork();
          await wait;
          upstream.cork();
        }
      }
    } catch (error) {
      this.deps.logger.error(
        { err: error instanceof Error ? error.message : String(error) },
        'session failed',
      );
      this.fatal(new PostgresProtocolError('internal error in the crewgate proxy', SqlState.internalError));
    } finally {
      upstream.uncork();
      this.processing = false;
    }
  }

  private forward(message: TypedMessage): void {
    this.tracker.forwarded(message);
    this.deps.upstream.socket.write(message.raw);
  }

  /** Returns a promise only when the message waits for approval. */
  private handle(message: TypedMessage): Promise<void> | undefined {
    if (this.phase === 'discarding') {
      // After an error in an extended batch the server ignores everything up to Sync (§55.2.3).
      if (message.kind === 'Sync') {
        this.phase = 'running';
        this.answer([encodeReadyForQuery(this.transactionStatus)]);
      }
      return undefined;
    }
    switch (message.kind) {
      case 'Query':
        return this.judged(message, this.deps.commands.fromText(message.text), 'simple');
      case 'Parse':
        return this.judged(message, this.deps.commands.fromText(message.text), 'extended');
      case 'FunctionCall':
        return this.judged(message, this.deps.commands.fromFunctionCall(message.functionOid), 'simple');
      case 'Terminate':
        this.forward(message);
        this.close('client terminated the session');
        return undefined;
      case 'Password':
        this.fatal(new PostgresProtocolError('unexpected password message after authentication'));
        return undefined;
      default:
        // Bind, Describe, Execute, Close, Sync, Flush and COPY data act on statements already judged.
        this.forward(message);
        return undefined;
    }
  }

  private judged(
    message: TypedMessage,
    commands: Command[],
    mode: 'simple' | 'extended',
  ): Promise<void> | undefined {
    if (commands.length === 0) {
      // An empty query string: nothing to judge; the server answers EmptyQueryResponse.
      this.forward(message);
      return undefined;
    }
    const { enforcer, id } = this.deps;
    const decision = enforcer.judge(commands);
    if (decision.action !== 'RequireApproval') {
      this.apply(message, enforcer.verdict(id, commands, decision), mode);
      return undefined;
    }
    return this.awaitApproval(message, commands, mode, decision);
  }

  private async awaitApproval(
    message: TypedMessage,
    commands: Command[],
    mode: 'simple' | 'extended',
    decision: Decision,
  ): Promise<void> {
    const abort = new AbortController();
    this.approvalAbort = abort;
    try {
      const verdict = await this.deps.enforcer.approval(this.deps.id, commands, decision, {
        session: this.deps.id,
        signal: abort.signal,
        // NoticeResponse may be sent at any time (§55.2.6): the waiting client sees why.
        notify: (text) => this.deps.client.write(encodeNoticeResponse({ code: '01000', message: text })),
      });
      if (this.phase === 'closed') return;
      if (!verdict.run && abort.signal.aborted) {
        this.refuse(mode, 'canceling statement due to user request', SqlState.queryCanceled);
        return;
      }
      this.apply(message, verdict, mode);
    } finally {
      this.approvalAbort = undefined;
    }
  }

  private apply(message: TypedMessage, verdict: Verdict, mode: 'simple' | 'extended'): void {
    if (!verdict.run) {
      this.refuse(mode, `crewgate: ${verdict.reason}`, SqlState.insufficientPrivilege);
      return;
    }
    this.resultMasker = this.maskerFor(verdict.masking);
    this.forward(message);
  }

  /** Masking depends on the identity and the rules, not the statement: reuse it while they hold. */
  private maskerFor(rules: CompiledMaskingRule[]): ResultMasker | undefined {
    if (rules.length === 0) return undefined;
    const cached = this.maskerRules;
    if (cached && cached.length === rules.length && cached.every((r, i) => r === rules[i]))
      return this.resultMasker;
    this.maskerRules = rules;
    const masker = maskerFor(rules, this.deps.identity);
    return masker.active ? new ResultMasker(masker, this.deps.catalog) : undefined;
  }

  /** A refused message: an ErrorResponse in its place, and the session goes on. */
  private refuse(mode: 'simple' | 'extended', text: string, code: string): void {
    const error = encodeErrorResponse({ severity: 'ERROR', code, message: text });
    if (mode === 'simple') {
      this.answer([error, encodeReadyForQuery(this.transactionStatus)]);
      return;
    }
    // Extended protocol: the server would now skip to Sync. If part of this batch was already
    // forwarded, close it with a Sync of our own so its responses come before our error.
    if (this.tracker.openBatch) {
      this.tracker.forwardedInternalSync();
      this.deps.upstream.socket.write(SYNC);
    }
    this.answer([error]);
    this.phase = 'discarding';
  }

  /** Writes the proxy's own answer now if the server owes nothing, else after it catches up. */
  private answer(frames: Buffer[]): void {
    if (this.tracker.idle && this.deferred.length === 0) {
      for (const f of frames) this.deps.client.write(f);
    } else {
      this.deferred.push(...frames);
    }
  }

  private flushDeferred(out: Buffer[]): void {
    if (!this.tracker.idle || this.deferred.length === 0) return;
    out.push(...this.deferred.splice(0));
  }

  // ---- server to client -------------------------------------------------------------------

  private onUpstreamData(chunk: Buffer): void {
    this.bytesDownstream.inc(chunk.length);
    let frames: BackendFrame[];
    try {
      frames = this.deps.upstream.framer.push(chunk);
    } catch (error) {
      this.upstreamLost(`the database sent an invalid message: ${(error as Error).message}`);
      return;
    }
    this.relayUpstream(frames);
  }

  private relayUpstream(frames: BackendFrame[]): void {
    if (this.upstreamPaused) {
      this.upstreamBacklog.push(...frames);
      return;
    }
    const out: Buffer[] = [];
    try {
      for (let i = 0; i < frames.length; i++) {
        const frame = frames[i]!;
        const loading = this.relayFrame(frame, out);
        if (loading) {
          // Column names must be read from the catalog before these rows can be masked.
          this.upstreamPaused = true;
          this.deps.upstream.socket.pause();
          this.upstreamBacklog.push(...frames.slice(i + 1));
          loading
            .catch((error: Error) => {
              this.deps.logger.warn(
                { err: error.message },
                'catalog lookup failed; masking by column name only',
              );
            })
            .finally(() => {
              this.upstreamPaused = false;
              this.deps.upstream.socket.resume();
              const backlog = this.upstreamBacklog.splice(0);
              this.relayUpstream(backlog);
            });
          return;
        }
      }
    } finally {
      this.writeCoalesced(out);
    }
  }

  /**
   * Writes what the relay produced. Frames passed through untouched are views into the same read
   * buffer, so neighbours are merged back into one slice: one buffer per write, not one per frame.
   */
  private writeCoalesced(out: Buffer[]): void {
    if (out.length === 0) return;
    const client = this.deps.client;
    if (out.length === 1) {
      client.write(out[0]!);
      return;
    }
    const merged: Buffer[] = [];
    let run = out[0]!;
    for (let i = 1; i < out.length; i++) {
      const next = out[i]!;
      if (next.buffer === run.buffer && run.byteOffset + run.length === next.byteOffset) {
        run = Buffer.from(run.buffer, run.byteOffset, run.length + next.length);
      } else {
        merged.push(run);
        run = next;
      }
    }
    merged.push(run);
    if (merged.length === 1) {
      client.write(merged[0]!);
      return;
    }
    client.cork();
    for (const b of merged) client.write(b);
    client.uncork();
  }

  /** Relays one server frame; returns a promise when it must wait for a catalog lookup first. */
  private relayFrame(frame: BackendFrame, out: Buffer[]): Promise<void> | undefined {
    switch (frame.type) {
      case BackendType.rowDescription: {
        const columns = this.decodeColumns(frame);
        this.tracker.rowDescription(columns);
        out.push(frame.raw);
        return undefined;
      }
      case BackendType.dataRow: {
        const masker = this.resultMasker;
        if (this.refusedResult) return undefined;
        this.rowsInResult++;
        if (!masker) {
          out.push(frame.raw);
          return undefined;
        }
        const columns = this.tracker.currentColumns();
        if (!columns) {
          // Rows whose columns the proxy never saw described: detectors still apply to every value.
          const masked = masker.maskUndescribedRow(frame);
          this.countMasked(masked.maskedFields);
          out.push(masked.raw);
          return undefined;
        }
        const missing = masker.tablesToLoad(columns);
        if (missing.length > 0) {
          return this.deps.catalog.load(missing).then(() => {
            const after: Buffer[] = [];
            this.writeMaskedRow(frame, columns, masker, after);
            this.writeCoalesced(after);
          });
        }
        this.writeMaskedRow(frame, columns, masker, out);
        return undefined;
      }
      case BackendType.commandComplete:
      case BackendType.emptyQueryResponse:
      case BackendType.portalSuspended:
        this.tracker.resultComplete();
        if (this.refusedResult) {
          out.push(
            encodeErrorResponse({
              severity: 'ERROR',
              code: SqlState.featureNotSupported,
              message: `crewgate: ${this.refusedResult.message}`,
            }),
          );
          this.refusedResult = undefined;
        } else {
          out.push(frame.raw);
        }
        this.finishResult(frame);
        return undefined;
      case BackendType.readyForQuery: {
        this.transactionStatus = readyForQueryStatus(frame);
        const { internal } = this.tracker.readyForQuery();
        if (!internal) out.push(frame.raw);
        this.flushDeferred(out);
        return undefined;
      }
      case BackendType.errorResponse:
        this.tracker.error();
        this.refusedResult = undefined;
        out.push(frame.raw);
        this.recordServerError(frame);
        return undefined;
      case 0x31 /* ParseComplete */:
        this.tracker.parseComplete();
        out.push(frame.raw);
        return undefined;
      case 0x32 /* BindComplete */:
        this.tracker.bindComplete();
        out.push(frame.raw);
        return undefined;
      case 0x33 /* CloseComplete */:
        this.tracker.closeComplete();
        out.push(frame.raw);
        return undefined;
      case 0x6e /* NoData */:
        this.tracker.noData();
        out.push(frame.raw);
        return undefined;
      case BackendType.copyData:
        out.push(this.maskCopyData(frame));
        return undefined;
      case BackendType.backendKeyData:
        // The client holds the proxy's key, never the server's.
        return undefined;
      default:
        out.push(frame.raw);
        return undefined;
    }
  }

  private decodeColumns(frame: BackendFrame): ColumnInfo[] {
    const message = decodeBackend(frame) as unknown as {
      fields: {
        name: string;
        tableID: number;
        columnID: number;
        dataTypeID: number;
        format: string | number;
      }[];
    };
    return message.fields.map((f) => ({
      name: f.name,
      tableOid: f.tableID,
      columnNumber: f.columnID,
      typeOid: f.dataTypeID,
      format: f.format === 'binary' || f.format === 1 ? 1 : 0,
    }));
  }

  private writeMaskedRow(
    frame: BackendFrame,
    columns: ColumnInfo[],
    masker: ResultMasker,
    out: Buffer[],
  ): void {
    let plan;
    try {
      plan = masker.plan(columns);
    } catch (error) {
      if (error instanceof BinaryColumnError) {
        this.refusedResult = error;
        return;
      }
      throw error;
    }
    const masked = masker.maskDataRow(frame, plan);
    this.countMasked(masked.maskedFields);
    out.push(masked.raw);
  }

  /** COPY TO STDOUT rows (text format): the values carry no column names, so detectors mask them. */
  private maskCopyData(frame: BackendFrame): Buffer {
    const masker = this.resultMasker;
    if (!masker) return frame.raw;
    const text = frame.raw.toString('utf8', 5);
    const fields = text.endsWith('\n') ? text.slice(0, -1).split('\t') : text.split('\t');
    const { values, maskedFields } = masker.masker.maskRow(
      fields.map(() => ({ name: '' })),
      fields.map((f) => (f === '\\N' ? null : f)),
    );
    if (maskedFields === 0) return frame.raw;
    this.countMasked(maskedFields);
    const body = Buffer.from(
      `${values.map((v) => v ?? '\\N').join('\t')}${text.endsWith('\n') ? '\n' : ''}`,
      'utf8',
    );
    const out = Buffer.allocUnsafe(5 + body.length);
    out[0] = BackendType.copyData;
    out.writeInt32BE(4 + body.length, 1);
    body.copy(out, 5);
    return out;
  }

  private countMasked(fields: number): void {
    if (fields === 0) return;
    this.maskedInResult += fields;
    this.deps.metrics.maskedFields.inc({ protocol: 'postgres' }, fields);
  }

  private finishResult(frame: BackendFrame): void {
    if (frame.type === BackendType.commandComplete) {
      this.deps.recorder.record(this.deps.id, {
        type: 'result',
        tag: commandTag(frame),
        rows: this.rowsInResult,
        maskedFields: this.maskedInResult,
      });
    }
    this.rowsInResult = 0;
    this.maskedInResult = 0;
  }

  private recordServerError(frame: BackendFrame): void {
    const e = decodeBackend(frame) as unknown as { message: string; code?: string };
    this.deps.recorder.record(this.deps.id, { type: 'error', message: e.message, code: e.code });
  }

  // ---- endings ----------------------------------------------------------------------------

  private upstreamLost(reason: string): void {
    if (this.phase === 'closed') return;
    this.deps.client.write(
      encodeErrorResponse({
        severity: 'FATAL',
        code: SqlState.adminShutdown,
        message: `crewgate: ${reason}`,
      }),
    );
    this.close(reason);
  }

  private fatal(error: PostgresProtocolError): void {
    if (this.phase === 'closed') return;
    this.deps.client.write(
      encodeErrorResponse({ severity: 'FATAL', code: error.sqlState, message: error.message }),
    );
    this.close(error.message);
  }

  close(reason: string): void {
    if (this.phase === 'closed') return;
    this.phase = 'closed';
    this.approvalAbort?.abort(new Error('client disconnected'));
    this.deps.recorder.record(this.deps.id, { type: 'session.end', reason });
    this.deps.client.end();
    this.deps.upstream.socket.destroy();
    void this.deps.catalog.close();
    this.onClosed?.();
  }

  onClosed: (() => void) | undefined;
}

const SYNC = Buffer.from([0x53, 0, 0, 0, 4]);
