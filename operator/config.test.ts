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
});
