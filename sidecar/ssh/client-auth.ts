/**
 * Who the SSH client is (DESIGN.md §3): the agent's OIDC token sent as the SSH password (RFC 4252
 * §8) or as the one keyboard-interactive answer (RFC 4256), verified like every other token; an
 * empty password or answer means "no token" and, when the pod has a workload identity, is that
 * identity — as an empty PostgreSQL password is. `none` and `publickey` are never accepted: the
 * agent's own keys prove nothing to the sidecar and are never forwarded to the target.
 */
import type { AuthContext, Connection } from 'ssh2';
import type { Identity } from '../core/command.js';
import type { AdapterDeps } from '../adapters/protocol-adapter.js';

/** Methods the client is told it may use, in the order OpenSSH would try them anyway. */
const METHODS = ['keyboard-interactive', 'password'] as const;
/** Failed attempts before the connection is ended: a token is not a guessable secret. */
export const MAX_AUTH_ATTEMPTS = 6;
export const TOKEN_PROMPT = 'crewgate token (empty for the pod identity): ';

export type AuthOutcome = { ok: true; identity: Identity } | { ok: false; reason: string };

type Deps = Pick<AdapterDeps, 'verifier' | 'workloadIdentity' | 'metrics' | 'logger'>;

async function identify(secret: string, deps: Deps): Promise<AuthOutcome> {
  if (secret === '') {
    if (deps.workloadIdentity) return { ok: true, identity: deps.workloadIdentity };
    return { ok: false, reason: 'no token' };
  }
  const verified = await deps.verifier.verify(secret);
  if (verified.ok) return { ok: true, identity: verified.identity };
  deps.logger.info({ reason: verified.reason, detail: verified.detail }, 'ssh client token refused');
  return { ok: false, reason: verified.reason };
}

/**
 * Answers the client's authentication requests until one succeeds (`onIdentity`, then resolves
 * with the identity) or the client gives up or fails too often (resolves undefined and ends the
 * connection).
 */
export function authenticateClient(
  client: Connection,
  deps: Deps,
  onIdentity: (identity: Identity) => void,
): Promise<Identity | undefined> {
  return new Promise((resolve) => {
    let failures = 0;
    let done = false;
    const finish = (identity: Identity | undefined) => {
      if (done) return;
      done = true;
      client.removeListener('authentication', onAuth);
      resolve(identity);
    };
    const decide = (ctx: AuthContext, secret: string) => {
      identify(secret, deps).then(
        (outcome) => {
          if (done) return;
          if (outcome.ok) {
            // Before accept(): ssh2 may emit 'ready' from inside it.
            onIdentity(outcome.identity);
            ctx.accept();
            finish(outcome.identity);
            return;
          }
          deps.metrics.authFailures.inc({ protocol: 'ssh', reason: outcome.reason });
          failures++;
          ctx.reject([...METHODS]);
          if (failures >= MAX_AUTH_ATTEMPTS) {
            client.end();
            finish(undefined);
          }
        },
        () => {
          ctx.reject([...METHODS]);
        },
      );
    };
    const onAuth = (ctx: AuthContext) => {
      switch (ctx.method) {
        case 'password':
          decide(ctx, ctx.password);
          return;
        case 'keyboard-interactive':
          ctx.prompt([{ prompt: TOKEN_PROMPT, echo: false }], 'crewgate', '', (answers) =>
            decide(ctx, answers[0] ?? ''),
          );
          return;
        default:
          ctx.reject([...METHODS]);
      }
    };
    client.on('authentication', onAuth);
    client.once('close', () => finish(undefined));
  });
}
