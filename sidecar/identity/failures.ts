/** Why a token was refused. Each reaches the client in its protocol's words (e.g. SQLSTATE 28000). */
export type IdentityFailureReason =
  | 'malformed'
  | 'unknown issuer'
  | 'algorithm not allowed'
  | 'bad signature'
  | 'unknown key'
  | 'expired'
  | 'not yet valid'
  | 'wrong audience'
  | 'missing claim'
  | 'issuer unreachable';

export interface IdentityFailure {
  ok: false;
  reason: IdentityFailureReason;
  /** A sentence for logs and for the client; never contains the token. */
  detail: string;
  issuer?: string;
}

export const failure = (reason: IdentityFailureReason, detail: string, issuer?: string): IdentityFailure => ({
  ok: false,
  reason,
  detail,
  ...(issuer ? { issuer } : {}),
});
