/**
 * Turns the SQL of one message into Commands for the policy engine, remembering what each named
 * prepared statement does so a later `EXECUTE name` is judged as what it runs.
 */
import { classifySql } from '../classify/sql/index.js';
import { toCommand, type Classification, type Command, type SessionContext } from '../core/command.js';
import { LruCache } from '../core/lru-cache.js';

/**
 * Classifications by exact statement text, shared by a listener's sessions: clients repeat the
 * same statements, a parse costs tens of microseconds and a lookup well under one. Only results
 * that do not depend on the session (no EXECUTE of a named statement) are kept.
 */
export class ClassificationCache extends LruCache<string, Classification[]> {
  constructor(capacity = 4_096) {
    super(capacity);
  }
}

export class SqlCommands {
  private readonly prepared = new Map<string, Classification[]>();

  constructor(
    private readonly session: SessionContext,
    private readonly cache?: ClassificationCache,
  ) {}

  private classify(text: string): Classification[] {
    const cached = this.cache?.get(text);
    if (cached) return cached;
    const classifications = classifySql(text, { prepared: this.prepared });
    if (
      this.cache &&
      text.length <= 8_192 &&
      !classifications.some((c) => c.operations.includes('execute'))
    ) {
      this.cache.set(text, classifications);
    }
    return classifications;
  }

  fromText(text: string): Command[] {
    const classifications = this.classify(text);
    for (const c of classifications) this.rememberPrepare(c);
    // An empty query string is a no-op; it still is judged (as nothing), never skipped silently.
    return classifications.map((c) => toCommand(this.session, c));
  }

  /** `PREPARE name AS ...` in SQL: its inner operations stand for later `EXECUTE name`. */
  private rememberPrepare(c: Classification): void {
    const name = c.attributes.preparedName;
    if (c.operations.includes('prepare') && typeof name === 'string') {
      this.prepared.set(name, [{ ...c, operations: c.operations.filter((op) => op !== 'prepare') }]);
    }
  }

  fromFunctionCall(oid: number): Command[] {
    return [
      toCommand(this.session, {
        operations: ['function.call'],
        resources: [`function:${oid}`],
        text: `FunctionCall oid=${oid}`,
        attributes: {},
      }),
    ];
  }
}
