import { describe, expect, it } from 'vitest';
import { operatorConfigFrom } from './config.js';

describe('operatorConfigFrom', () => {
  it('reads flags over environment, lists comma-separated, with defaults', () => {
    const config = operatorConfigFrom(['--webhook-port', '10443', '--extra-ip-addresses', '127.0.0.1, ::1'], {
      CREWGATE_NAMESPACE: 'crewgate',
      CREWGATE_WEBHOOK_PORT: '1',
    });
    expect(config).toMatchObject({
      namespace: 'crewgate',
      webhookPort: 10443,
      extraIpAddresses: ['127.0.0.1', '::1'],
      sidecarApiPort: 8443,
    });
  });

  it('names the setting that is wrong', () => {
    expect(() => operatorConfigFrom(['--metrics-port', 'eighty'], {})).toThrow(/metricsPort/);
  });

  it('reads the trusted issuers and the recording store as JSON, and refuses what is not', () => {
    const config = operatorConfigFrom([], {
      CREWGATE_OIDC_ISSUERS: '[{"issuer":"https://login.example.com","audiences":["crewgate"]}]',
      CREWGATE_RECORDING_STORE: '{"host":"audit-db","secretName":"crewgate-recording-store"}',
    });
    expect(config.oidcIssuers).toEqual([
      { issuer: 'https://login.example.com', audiences: ['crewgate'], kind: 'oidc' },
    ]);
    expect(config.recordingStore).toEqual({
      host: 'audit-db',
      port: 5432,
      database: 'crewgate_audit',
      tls: { mode: 'verify-full' },
      secretName: 'crewgate-recording-store',
    });
    expect(() => operatorConfigFrom([], { CREWGATE_OIDC_ISSUERS: 'https://x' })).toThrow(
      /oidcIssuers: not JSON/,
    );
    expect(() => operatorConfigFrom([], { CREWGATE_RECORDING_STORE: '{"port":5432}' })).toThrow(
      /recordingStore\.host/,
    );
  });
});
