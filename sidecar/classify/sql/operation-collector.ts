/**
 * Where one statement's operations and resources accumulate while its tree is walked: in order of
 * first appearance, without duplicates, each relation listed plainly and with its access mode.
 */

export type AccessMode = 'read' | 'write';

export class OperationCollector {
  private readonly operations = new Set<string>();
  private readonly resources = new Set<string>();
  /** > 0 while inside a statement that is only planned (plain EXPLAIN): see {@link planOnly}. */
  private planOnlyDepth = 0;

  addOperation(operation: string): void {
    if (this.planOnlyDepth === 0) this.operations.add(operation);
  }

  /** Records a relation as `name` and `<mode>:name`. */
  addRelation(name: string, mode: AccessMode): void {
    this.resources.add(name);
    this.resources.add(`${this.planOnlyDepth > 0 ? 'read' : mode}:${name}`);
  }

  /** Records an already formatted resource (from another classification, e.g. a prepared statement). */
  addResource(resource: string): void {
    if (this.planOnlyDepth > 0 && resource.startsWith('write:')) resource = `read:${resource.slice(6)}`;
    this.resources.add(resource);
  }

  /**
   * Runs `walk` for a statement that is planned but not executed (EXPLAIN without ANALYZE): its
   * operations are dropped and every relation it names counts as a read.
   */
  planOnly(walk: () => void): void {
    this.planOnlyDepth++;
    try {
      walk();
    } finally {
      this.planOnlyDepth--;
    }
  }

  get operationCount(): number {
    return this.operations.size;
  }

  result(): { operations: string[]; resources: string[] } {
    return { operations: [...this.operations], resources: [...this.resources] };
  }
}
