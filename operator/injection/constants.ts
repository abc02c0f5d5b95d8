/**
 * The names the injector writes into pods and the names it recognises there. Kept in one place
 * because the operator's webhook shell, its control plane (which checks that a token's pod is an
 * injected one) and the sidecar all have to agree on them.
 */

/** Pod and namespace label that selects injection: `enabled` or `disabled`. */
export const INJECT_LABEL = 'crewgate.dev/inject';
/** Pod annotation naming the Connections the pod uses, comma-separated. */
export const CONNECTIONS_ANNOTATION = 'crewgate.dev/connections';
/** Pod annotation the injector sets to `injected`, so a re-invoked webhook leaves the pod alone. */
export const STATUS_ANNOTATION = 'crewgate.dev/status';
export const STATUS_INJECTED = 'injected';
/** Pod annotation carrying the in-pod sidecar config YAML (delivered by a downwardAPI volume). */
export const SIDECAR_CONFIG_ANNOTATION = 'crewgate.dev/sidecar-config';
/** Pod annotation carrying the control plane's CA bundle (public data), when configured. */
export const CONTROL_PLANE_CA_ANNOTATION = 'crewgate.dev/control-plane-ca';

export const SIDECAR_CONTAINER = 'crewgate-sidecar';
export const REDIRECT_CONTAINER = 'crewgate-redirect';

export const CONFIG_VOLUME = 'crewgate-config';
export const TOKEN_VOLUME = 'crewgate-token';
export const SPOOL_VOLUME = 'crewgate-spool';
/**
 * env mode with a kubernetes or ssh connection: the agent's client configuration, an emptyDir the
 * sidecar alone mounts read-write. It writes there at start what pins the loopback hop to the keys
 * it just generated — the kubeconfig with the CA of its serving certificate, the ssh_config and
 * known_hosts with its SSH host keys; app containers mount it read-only, so the agent can read
 * them but never swap in its own.
 */
export const CLIENT_CONFIG_VOLUME = 'crewgate-client-config';

/** Where the config volume is mounted, in the sidecar only. */
export const CONFIG_DIR = '/etc/crewgate';
export const SIDECAR_CONFIG_FILE = 'sidecar.yaml';
/** Where the client config volume is mounted: read-write in the sidecar, read-only in app containers. */
export const CLIENT_CONFIG_DIR = '/var/run/crewgate/client';
export const KUBECONFIG_FILE = 'kubeconfig';
/** OpenSSH reads no variable for its config, so the agent runs `ssh -F "$CREWGATE_SSH_CONFIG" <name>`. */
export const SSH_CONFIG_FILE = 'ssh_config';
export const KNOWN_HOSTS_FILE = 'known_hosts';
export const SSH_CONFIG_ENV = 'CREWGATE_SSH_CONFIG';
export const CONTROL_PLANE_CA_FILE = 'ca.crt';
export const TOKEN_DIR = '/var/run/secrets/crewgate';
export const TOKEN_FILE = 'token';
export const SPOOL_DIR = '/var/run/crewgate/spool';

/** The audience of the sidecar's projected token: the API server itself refuses such a token. */
export const TOKEN_AUDIENCE = 'crewgate';

/** Where the ServiceAccount admission plugin mounts the API token in every container. */
export const SERVICE_ACCOUNT_TOKEN_PATH = '/var/run/secrets/kubernetes.io/serviceaccount';
/** Prefix of the projected volume the ServiceAccount admission plugin adds (`kube-api-access-abcde`). */
export const KUBE_API_ACCESS_PREFIX = 'kube-api-access-';

/** Namespaces the injector never touches, whatever their labels say. */
export const NEVER_INJECTED_NAMESPACES: readonly string[] = ['kube-system', 'kube-public'];

/** The sidecar's local port for the first connection of each type; the next one of a type gets +1. */
export const BASE_LISTEN_PORTS = {
  postgres: 15432,
  kubernetes: 16443,
  ssh: 2222,
  http: 18080,
} as const;

/** Loopback: the sidecar's listeners are for the pod's own containers only. */
export const LOOPBACK = '127.0.0.1';
