import { describe, expect, it } from 'vitest';
import { kubernetesStatus, rawStatusResponse, statusHeaders } from './status.js';

describe('Kubernetes Status rendering', () => {
  it('is a meta/v1 Status that kubectl reads as "Error from server (<reason>)"', () => {
    expect(kubernetesStatus(403, 'Forbidden', 'crewgate: Denied by rule no-deletes')).toEqual({
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Failure',
      message: 'crewgate: Denied by rule no-deletes',
      reason: 'Forbidden',
      code: 403,
    });
  });

  it('gives its JSON body an exact byte length, multi-byte messages included', () => {
    const body = JSON.stringify(kubernetesStatus(400, 'BadRequest', 'chemin refusé ✗'));
    expect(statusHeaders(body)['content-length']).toBe(String(Buffer.from(body).length));
    expect(statusHeaders(body)['content-type']).toBe('application/json');
  });

  it('renders a whole closing HTTP/1.1 response for a raw socket', () => {
    const text = rawStatusResponse(431, 'BadRequest', 'headers too large').toString();
    const [head, body] = text.split('\r\n\r\n');
    expect(head?.split('\r\n')[0]).toBe('HTTP/1.1 431 Request Header Fields Too Large');
    expect(head).toMatch(/\r\nconnection: close(\r\n|$)/);
    expect(head).toContain(`content-length: ${Buffer.byteLength(body ?? '')}`);
    expect(JSON.parse(body ?? '')).toMatchObject({ kind: 'Status', code: 431, message: 'headers too large' });
  });
});
