/**
 * Which request each server response answers. The protocol never labels responses; they come in
 * the order of the requests (§55.2.3), so a FIFO of what was forwarded tells the proxy which
 * result a DataRow belongs to (and so which columns, for masking), and when the server is idle so
 * the proxy's own answers (a denial, a ReadyForQuery) can be slotted in without reordering.
 */
import type { TypedMessage } from './frontend-messages.js';

export interface ColumnInfo {
  name: string;
  tableOid: number;
  columnNumber: number;
  typeOid: number;
  /** 0 text, 1 binary. */
  format: number;
}

type Expectation =
  | { kind: 'query' }
  | { kind: 'parse' }
  | { kind: 'bind'; portal: string; statement: string; resultFormats: number[] }
  | { kind: 'describe'; target: 'S' | 'P'; name: string }
  | { kind: 'execute'; portal: string }
  | { kind: 'close' }
  | { kind: 'function' }
  /** `internal`: a Sync the proxy sent itself; its ReadyForQuery is not the client's. */
  | { kind: 'sync'; internal: boolean };

export class ResponseTracker {
  private readonly queue: Expectation[] = [];
  /** Columns a prepared statement returns (from Describe S), formats not yet known. */
  private readonly statementColumns = new Map<string, ColumnInfo[]>();
  /** Columns a portal returns, with the result formats its Bind asked for. */
  private readonly portalColumns = new Map<string, ColumnInfo[]>();
  private readonly portalStatement = new Map<string, { statement: string; resultFormats: number[] }>();
  /** Columns of the result being streamed by a simple Query. */
  private queryColumns: ColumnInfo[] | undefined;
  /** ReadyForQuery frames still owed by the server. */
  private pendingReady = 0;

  /** Records a message forwarded to the server. */
  forwarded(message: TypedMessage): void {
    switch (message.kind) {
      case 'Query':
        this.queue.push({ kind: 'query' });
        this.pendingReady++;
        break;
      case 'Parse':
        this.queue.push({ kind: 'parse' });
        this.statementColumns.delete(message.statement);
        break;
      case 'Bind':
        this.queue.push({
          kind: 'bind',
          portal: message.portal,
          statement: message.statement,
          resultFormats: message.resultFormats,
        });
        break;
      case 'Describe':
        this.queue.push({ kind: 'describe', target: message.target, name: message.name });
        break;
      case 'Execute':
        this.queue.push({ kind: 'execute', portal: message.portal });
        break;
      case 'Close':
        this.queue.push({ kind: 'close' });
        break;
      case 'FunctionCall':
        this.queue.push({ kind: 'function' });
        this.pendingReady++;
        break;
      case 'Sync':
        this.queue.push({ kind: 'sync', internal: false });
        this.pendingReady++;
        break;
      default:
        break;
    }
  }

  /** A Sync the proxy sends on its own, to close a batch it must interrupt. */
  forwardedInternalSync(): void {
    this.queue.push({ kind: 'sync', internal: true });
    this.pendingReady++;
  }

  /** The server owes nothing: the proxy may answer the client itself without reordering. */
  get idle(): boolean {
    return this.pendingReady === 0 && this.queue.length === 0;
  }

  /** Messages forwarded since the last Sync whose responses are still to come. */
  get openBatch(): boolean {
    const last = this.queue[this.queue.length - 1];
    return last !== undefined && last.kind !== 'sync' && last.kind !== 'query' && last.kind !== 'function';
  }

  private resultFormat(formats: number[], index: number): number {
    if (formats.length === 0) return 0;
    if (formats.length === 1) return formats[0]!;
    return formats[index] ?? 0;
  }

  /** RowDescription from the server: remembers the columns of whichever request it answers. */
  rowDescription(columns: ColumnInfo[]): void {
    const head = this.queue[0];
    if (head?.kind === 'describe') {
      this.queue.shift();
      if (head.target === 'S') this.statementColumns.set(head.name, columns);
      else this.portalColumns.set(head.name, columns);
    } else {
      // A simple Query (or a FETCH inside one) streams this result next.
      this.queryColumns = columns;
    }
  }

  noData(): void {
    if (this.queue[0]?.kind === 'describe') this.queue.shift();
  }

  parseComplete(): void {
    if (this.queue[0]?.kind === 'parse') this.queue.shift();
  }

  bindComplete(): void {
    const head = this.queue[0];
    if (head?.kind !== 'bind') return;
    this.queue.shift();
    this.portalStatement.set(head.portal, { statement: head.statement, resultFormats: head.resultFormats });
    const described = this.statementColumns.get(head.statement);
    if (described) {
      this.portalColumns.set(
        head.portal,
        described.map((c, i) => ({ ...c, format: this.resultFormat(head.resultFormats, i) })),
      );
    } else {
      this.portalColumns.delete(head.portal);
    }
  }

  closeComplete(): void {
    if (this.queue[0]?.kind === 'close') this.queue.shift();
  }

  /** The columns of the rows arriving now, if the proxy knows them. */
  currentColumns(): ColumnInfo[] | undefined {
    const head = this.queue[0];
    if (head?.kind === 'execute') return this.portalColumns.get(head.portal);
    return this.queryColumns;
  }

  /** CommandComplete, EmptyQueryResponse or PortalSuspended: one result is over. */
  resultComplete(): void {
    const head = this.queue[0];
    if (head?.kind === 'execute') this.queue.shift();
    this.queryColumns = undefined;
  }

  /** ErrorResponse: in an extended batch the server now skips to the next Sync. */
  error(): void {
    while (this.queue.length > 0) {
      const head = this.queue[0]!;
      if (head.kind === 'sync' || head.kind === 'query' || head.kind === 'function') break;
      this.queue.shift();
    }
    this.queryColumns = undefined;
  }

  /** ReadyForQuery: returns whether it answers a Sync the proxy sent itself (and must be swallowed). */
  readyForQuery(): { internal: boolean } {
    this.pendingReady = Math.max(0, this.pendingReady - 1);
    while (this.queue.length > 0) {
      const head = this.queue.shift()!;
      if (head.kind === 'sync') return { internal: head.internal };
      if (head.kind === 'query' || head.kind === 'function') return { internal: false };
    }
    return { internal: false };
  }
}
