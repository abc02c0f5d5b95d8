/**
 * Errors that end up as a PostgreSQL ErrorResponse. Each carries the SQLSTATE the client sees
 * (PostgreSQL manual, Appendix A "PostgreSQL Error Codes") and whether it ends the connection.
 */
export const SqlState = {
  protocolViolation: '08P01',
  connectionFailure: '08006',
  cannotConnectNow: '57P03',
  invalidAuthorization: '28000',
  invalidPassword: '28P01',
  insufficientPrivilege: '42501',
  featureNotSupported: '0A000',
  programLimitExceeded: '54000',
  queryCanceled: '57014',
  adminShutdown: '57P01',
  internalError: 'XX000',
} as const;

export type SqlStateCode = (typeof SqlState)[keyof typeof SqlState];

export class PostgresProtocolError extends Error {
  override name = 'PostgresProtocolError';
  constructor(
    message: string,
    readonly sqlState: SqlStateCode = SqlState.protocolViolation,
    /** FATAL errors close the connection after the ErrorResponse; ERROR ones do not. */
    readonly fatal = true,
    readonly detail?: string,
  ) {
    super(message);
  }
}
