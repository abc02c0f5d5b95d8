/**
 * Kubernetes Events on crewgate objects, so `kubectl describe` tells the story. The same reason and
 * message for the same object is not repeated within a minute: a resync must not flood the API.
 */
import type { KubeClients } from './client.js';

export interface InvolvedObject {
  apiVersion: string;
  kind: string;
  namespace: string;
  name: string;
  uid?: string;
}

export class EventRecorder {
  private readonly recent = new Map<string, number>();

  constructor(
    private readonly clients: KubeClients,
    private readonly component: string,
    private readonly now: () => Date = () => new Date(),
  ) {}

  async emit(
    object: InvolvedObject,
    type: 'Normal' | 'Warning',
    reason: string,
    message: string,
  ): Promise<void> {
    const key = `${object.kind}/${object.namespace}/${object.name}/${reason}/${message}`;
    const at = this.now();
    const last = this.recent.get(key);
    if (last !== undefined && at.getTime() - last < 60_000) return;
    this.recent.set(key, at.getTime());
    if (this.recent.size > 10_000) this.recent.clear();
    await this.clients.core.createNamespacedEvent({
      namespace: object.namespace,
      body: {
        metadata: { generateName: `${object.name}.`, namespace: object.namespace },
        involvedObject: {
          apiVersion: object.apiVersion,
          kind: object.kind,
          namespace: object.namespace,
          name: object.name,
          uid: object.uid,
        },
        type,
        reason,
        message,
        source: { component: this.component },
        firstTimestamp: at,
        lastTimestamp: at,
        count: 1,
      },
    });
  }
}
