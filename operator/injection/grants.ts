/**
 * What the injector needs to know about the cluster, handed in as a plain value so that injection
 * stays a pure function: the webhook shell reads Connections and AccessPolicies of the pod's
 * namespace (from its informer caches) and builds this; tests write it by hand.
 */
import type { ConnectionType } from './connection-type.js';

/** Where a Connection's target is, as the injector needs it (transparent mode redirects host:port). */
export interface ConnectionTarget {
  type: ConnectionType;
  /** Host of the target: an IPv4/IPv6 literal or a DNS name (no brackets, no port). */
  address: string;
  port: number;
  /** postgres: the database, used for `DATABASE_URL`. */
  database?: string;
}

/**
 * Grants for ONE namespace (the pod's): Connections there, and who may use them.
 *
 * `grantedTo(connection, serviceAccount)` receives the service account's NAME (not namespace/name):
 * the grants were computed for the pod's namespace, and a pod can only run as a service account of
 * its own namespace.
 */
export interface InjectionGrants {
  /** Connections of the namespace, by name. */
  connections: Readonly<Record<string, ConnectionTarget>>;
  /** Connections that exist but cannot be used, with why (e.g. an address that does not parse). */
  unusable?: Readonly<Record<string, string>>;
  /** True when some AccessPolicy of the namespace grants `connection` to the service account. */
  grantedTo(connection: string, serviceAccount: string): boolean;
}
