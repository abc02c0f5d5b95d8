/**
 * The protocols this sidecar speaks: one entry per Connection type, each the adapter and the zod
 * schema of its listener options. Explicit and immutable (no registration at import time), so what
 * a build supports is read here, and adding a protocol is one line below and nothing else: the
 * process and both config forms look adapters up by a connection's `type`.
 */
import type { z } from 'zod';
import type { ConnectionSpec } from '../../crds/schemas/connection.js';
import { httpAdapter, httpListenerOptionsSchema } from '../http/adapter.js';
import { kubernetesAdapter, kubernetesListenerOptionsSchema } from '../kubernetes/adapter.js';
import { postgresAdapter, postgresListenerOptionsSchema } from '../postgres/adapter.js';
import { sshAdapter, sshListenerOptionsSchema } from '../ssh/adapter.js';
import type { ProtocolAdapter } from './protocol-adapter.js';

export type ConnectionType = ConnectionSpec['type'];

export interface RegisteredAdapter {
  adapter: ProtocolAdapter;
  /** Validates `ListenerSpec.options` at start-up, so a bad setting stops the process with its path. */
  options: z.ZodType;
}

export const ADAPTERS: Readonly<Partial<Record<ConnectionType, RegisteredAdapter>>> = Object.freeze({
  postgres: { adapter: postgresAdapter, options: postgresListenerOptionsSchema },
  http: { adapter: httpAdapter, options: httpListenerOptionsSchema },
  kubernetes: { adapter: kubernetesAdapter, options: kubernetesListenerOptionsSchema },
  ssh: { adapter: sshAdapter, options: sshListenerOptionsSchema },
});

/** The adapter for `type`, or undefined when this build has none. */
export function adapterFor(type: string): RegisteredAdapter | undefined {
  return Object.hasOwn(ADAPTERS, type) ? ADAPTERS[type as ConnectionType] : undefined;
}

/** Connection types this build can serve, for error messages. */
export const supportedTypes = (): string[] => Object.keys(ADAPTERS).sort();
