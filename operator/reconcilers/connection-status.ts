/**
 * What a Connection's status should say, as a pure function of the Connection and the Secret it
 * references: the credentials resolve when the Secret exists and has the keys its type needs.
 */
import type { ConnectionSpec } from '../../crds/schemas/connection.js';
import type { ConditionInput } from './conditions.js';

/** The keys a Secret must hold for each type of Connection. */
export const REQUIRED_SECRET_KEYS: Record<ConnectionSpec['type'], string[]> = {
  postgres: ['username', 'password'],
  kubernetes: ['token'],
  ssh: ['privateKey'],
  http: ['value'],
};

export function connectionConditions(
  spec: ConnectionSpec,
  secret: { data?: Record<string, string> } | undefined,
  reachability?: { reachable: boolean; detail: string },
): ConditionInput[] {
  const ref = spec.credentialsRef.name;
  let credentials: ConditionInput;
  if (!secret) {
    credentials = {
      type: 'CredentialsResolved',
      status: 'False',
      reason: 'SecretNotFound',
      message: `Secret ${ref} does not exist`,
    };
  } else {
    const missing = REQUIRED_SECRET_KEYS[spec.type].filter((k) => !secret.data?.[k]);
    credentials =
      missing.length > 0
        ? {
            type: 'CredentialsResolved',
            status: 'False',
            reason: 'MissingKeys',
            message: `Secret ${ref} lacks ${missing.join(', ')} (a ${spec.type} connection needs ${REQUIRED_SECRET_KEYS[spec.type].join(', ')})`,
          }
        : {
            type: 'CredentialsResolved',
            status: 'True',
            reason: 'SecretFound',
            message: `Secret ${ref} has ${REQUIRED_SECRET_KEYS[spec.type].join(', ')}`,
          };
  }
  const conditions = [credentials];
  if (reachability) {
    conditions.push(
      reachability.reachable
        ? { type: 'Reachable', status: 'True', reason: 'Connected', message: reachability.detail }
        : { type: 'Reachable', status: 'False', reason: 'Unreachable', message: reachability.detail },
    );
  }
  const notReady = conditions.find((c) => c.status !== 'True');
  conditions.push(
    notReady
      ? { type: 'Ready', status: 'False', reason: notReady.reason, message: notReady.message }
      : {
          type: 'Ready',
          status: 'True',
          reason: 'Ready',
          message: 'sidecars can open sessions on this connection',
        },
  );
  return conditions;
}
