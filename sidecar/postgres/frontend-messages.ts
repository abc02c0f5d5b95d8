/**
 * The frontend (client to server) messages of the PostgreSQL protocol v3, as the proxy sees them.
 * Names and layouts follow the PostgreSQL manual, "Frontend/Backend Protocol", §55.7 "Message
 * Formats". Every message keeps its `raw` bytes (header included) so an allowed message is
 * forwarded exactly as the client sent it.
 */

/** Magic codes of the untyped startup-phase messages (§55.7). */
export const SSL_REQUEST_CODE = 80877103;
export const GSSENC_REQUEST_CODE = 80877104;
export const CANCEL_REQUEST_CODE = 80877102;
/** Protocol 3.0 and 3.2 (3.2 arrived with PostgreSQL 18: longer cancel keys). */
export const PROTOCOL_3_0 = 196608;
export const PROTOCOL_3_2 = 196610;

export type StartupPhaseMessage =
  | { kind: 'SSLRequest'; raw: Buffer }
  | { kind: 'GSSENCRequest'; raw: Buffer }
  | { kind: 'CancelRequest'; raw: Buffer; processId: number; secretKey: Buffer }
  | { kind: 'StartupMessage'; raw: Buffer; protocolVersion: number; parameters: Record<string, string> };

export type TypedMessage =
  | { kind: 'Query'; raw: Buffer; text: string }
  | { kind: 'Parse'; raw: Buffer; statement: string; text: string; parameterTypes: number[] }
  | {
      kind: 'Bind';
      raw: Buffer;
      portal: string;
      statement: string;
      parameterFormats: number[];
      parameterCount: number;
      resultFormats: number[];
    }
  | { kind: 'Describe'; raw: Buffer; target: 'S' | 'P'; name: string }
  | { kind: 'Execute'; raw: Buffer; portal: string; maxRows: number }
  | { kind: 'Close'; raw: Buffer; target: 'S' | 'P'; name: string }
  | { kind: 'Sync'; raw: Buffer }
  | { kind: 'Flush'; raw: Buffer }
  | { kind: 'Terminate'; raw: Buffer }
  | { kind: 'FunctionCall'; raw: Buffer; functionOid: number }
  | { kind: 'CopyData'; raw: Buffer }
  | { kind: 'CopyDone'; raw: Buffer }
  | { kind: 'CopyFail'; raw: Buffer; message: string }
  /** PasswordMessage, SASLInitialResponse, SASLResponse and GSSResponse share this type byte. */
  | { kind: 'Password'; raw: Buffer; payload: Buffer };

export type FrontendMessage = StartupPhaseMessage | TypedMessage;
