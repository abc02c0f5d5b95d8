// The HTTP proxy end to end: curl and Python requests through the sidecar's HTTP adapter to real
// JSON APIs on loopback (plain and HTTPS with a harness-CA certificate), with real token
// verification against the harness IdP. The upstream records what it received, so credential
// injection and the agent token's removal are checked where they matter.
import { readFileSync } from 'node:fs';
import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { issueCertificate, loadCertificateAuthority } from '../../operator/pki/certificates.js';
import { oidcToken } from '../harness/oidc-token.js';
import { runCommand } from '../harness/run.js';
import {
  billingTarget,
  startHttpProxy,
  UPSTREAM_CREDENTIAL,
  type HttpProxyUnderTest,
} from './support/http-proxy.js';
import { CUSTOMERS, startJsonApi, type JsonApi } from './support/json-api.js';
import { loadManifestsFromText } from './support/postgres-proxy.js';

const harness = inject('harness');
let api: JsonApi;
let tlsApi: JsonApi;
let proxy: HttpProxyUnderTest;
let analyst: string;
let operator: string;

beforeAll(async () => {
  api = await startJsonApi();
  const ca = await loadCertificateAuthority(
    readFileSync(harness.caCertificateFile, 'utf8'),
    readFileSync(harness.caKeyFile, 'utf8'),
  );
  const serving = await issueCertificate(ca, {
    commonName: 'billing',
    dnsNames: ['localhost'],
    usage: 'server',
  });
  tlsApi = await startJsonApi({ tls: serving });
  proxy = await startHttpProxy(harness, { target: billingTarget(api.url) });
  [analyst, operator] = await Promise.all([
    oidcToken(harness.oidc, 'agent-analyst'),
    oidcToken(harness.oidc, 'agent-operator'),
  ]);
}, 60_000);

afterAll(async () => {
  await proxy?.listener.close();
  await api?.close();
  await tlsApi?.close();
});

/** curl's body and status code (`-w`), as a user at a shell would see them. */
async function curl(args: string[]): Promise<{ status: number; body: string }> {
  const result = await runCommand('curl', ['-sS', '-w', '\n%{http_code}', ...args]);
  expect(result.stderr).toBe('');
  const at = result.stdout.lastIndexOf('\n');
  return { status: Number(result.stdout.slice(at + 1)), body: result.stdout.slice(0, at) };
}

const bearer = (token: string) => ['-H', `Authorization: Bearer ${token}`];

describe('curl through the HTTP proxy', () => {
  it('allows a GET, injects the upstream credential and never forwards the agent token', async () => {
    const before = api.received.length;
    const { status, body } = await curl([...bearer(operator), `${proxy.url}/v1/customers?limit=2`]);
    expect(status).toBe(200);
    expect(JSON.parse(body)).toEqual({ customers: CUSTOMERS });
    const seen = api.received.slice(before);
    expect(seen).toHaveLength(1);
    expect(seen[0]!.url).toBe('/v1/customers?limit=2');
    expect(seen[0]!.headers.authorization).toBe(UPSTREAM_CREDENTIAL);
    expect(JSON.stringify(seen[0]!.headers)).not.toContain(operator);
    expect(seen[0]!.headers.host).toBe(new URL(api.url).host);
  });

  it('denies a DELETE with a 403 whose JSON names the policy and rule, and the upstream never sees it', async () => {
    const before = api.received.length;
    const { status, body } = await curl(['-X', 'DELETE', ...bearer(analyst), `${proxy.url}/v1/customers/1`]);
    expect(status).toBe(403);
    expect(JSON.parse(body)).toMatchObject({
      error: 'denied',
      policy: 'agents/analysts',
      rule: 'no-deletes',
      reason: expect.stringMatching(/no-deletes/),
    });
    expect(api.received.length).toBe(before);
  });

  it('masks JSON fields by path and card numbers by detector for the analyst, not for the operator', async () => {
    const masked = JSON.parse((await curl([...bearer(analyst), `${proxy.url}/v1/customers`])).body);
    const upstream = api.received.at(-1)!;
    expect(upstream.headers['accept-encoding']).toBe('identity');
    expect(masked.customers).toHaveLength(2);
    for (const [i, c] of (masked.customers as typeof CUSTOMERS).entries()) {
      expect(c.name).toBe(CUSTOMERS[i]!.name);
      expect(c.email).not.toContain('@'); // selected by $..email
      expect(c.card).toMatch(/REDACTED/); // found by the creditCard detector
      expect(c.card).not.toContain(CUSTOMERS[i]!.card.slice(-4) + CUSTOMERS[i]!.card.slice(0, 4));
    }
    const plain = JSON.parse(
      (await curl([...bearer(operator), '--compressed', `${proxy.url}/v1/customers`])).body,
    );
    expect(plain).toEqual({ customers: CUSTOMERS });
    expect(
      Number(await proxy.metrics.maskedFields.get().then((m) => m.values[0]?.value ?? 0)),
    ).toBeGreaterThanOrEqual(4);
  });

  it('masks a chunked JSON response and sends it with a recomputed Content-Length', async () => {
    const result = await runCommand('curl', ['-sS', '-i', ...bearer(analyst), `${proxy.url}/v1/chunked`]);
    const [head, body] = result.stdout.split('\r\n\r\n');
    expect(head).toMatch(/^HTTP\/1\.1 200/);
    expect(head).not.toMatch(/transfer-encoding/i);
    expect(head).toMatch(new RegExp(`content-length: ${Buffer.byteLength(body!)}`, 'i'));
    expect(body).not.toContain('ada@example.com');
  });

  it('refuses what it cannot mask: a gzip body the upstream sent anyway, a text body (by default)', async () => {
    const gzip = await curl([...bearer(analyst), `${proxy.url}/v1/gzip`]);
    expect(gzip.status).toBe(502);
    expect(JSON.parse(gzip.body).reason).toMatch(/Content-Encoding gzip/);
    const text = await curl([...bearer(analyst), `${proxy.url}/v1/notes`]);
    expect(text.status).toBe(502);
    expect(text.body).not.toContain('4111');
    // For a caller no masking rule names, both pass untouched.
    expect((await curl([...bearer(operator), `${proxy.url}/v1/notes`])).body).toContain(
      '4111 1111 1111 1111',
    );
  });

  it('streams JSON lines masked line by line, and cuts the response at a line it cannot mask', async () => {
    const streamed = await curl([...bearer(analyst), `${proxy.url}/v1/events`]);
    expect(streamed.status).toBe(200);
    const lines = streamed.body
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as (typeof CUSTOMERS)[0]);
    expect(lines.map((l) => l.name)).toEqual(CUSTOMERS.map((c) => c.name));
    expect(streamed.body).not.toMatch(/@example\.com|4111 1111|5500-0000/);
    const broken = await runCommand('curl', ['-sS', ...bearer(analyst), `${proxy.url}/v1/broken-events`]);
    expect(broken.stderr).toMatch(/curl: \(18\)/);
    expect(broken.stdout).not.toContain('alan@example.com');
    expect(broken.stdout).not.toContain('ada@example.com');
  });

  it('refuses a JSON body over the masking bound rather than passing it unmasked', async () => {
    const small = await startHttpProxy(harness, {
      target: billingTarget(api.url),
      listenerOptions: { maxResponseBytes: 64 * 1024 },
    });
    try {
      const { status, body } = await curl([...bearer(analyst), `${small.url}/v1/big`]);
      expect(status).toBe(502);
      expect(body).not.toContain('user1@example.com');
      expect((await curl([...bearer(analyst), `${small.url}/v1/customers`])).status).toBe(200);
    } finally {
      await small.listener.close();
    }
  });

  it('passes non-JSON responses unmasked when the listener is configured to', async () => {
    const lenient = await startHttpProxy(harness, {
      target: billingTarget(api.url),
      listenerOptions: { nonJsonResponses: 'pass' },
    });
    try {
      expect((await curl([...bearer(analyst), `${lenient.url}/v1/notes`])).body).toContain('card on file');
    } finally {
      await lenient.listener.close();
    }
  });

  it('reads JSON request bodies for body rules: denies role admin, forwards others intact', async () => {
    const json = ['-H', 'Content-Type: application/json'];
    const denied = await curl([
      ...bearer(analyst),
      ...json,
      '-d',
      '{"name":"eve","role":"admin"}',
      `${proxy.url}/v1/users`,
    ]);
    expect(denied.status).toBe(403);
    expect(JSON.parse(denied.body)).toMatchObject({ rule: 'no-admin-grants', policy: 'agents/analysts' });
    const before = api.received.length;
    const allowed = await curl([
      ...bearer(analyst),
      ...json,
      '-d',
      '{"name":"bob","role":"viewer"}',
      `${proxy.url}/v1/users`,
    ]);
    expect(allowed.status).toBe(200);
    const seen = api.received.slice(before);
    expect(seen.map((r) => r.body)).toEqual(['{"name":"bob","role":"viewer"}']);
    expect(seen[0]!.headers['content-length']).toBe('30');
  });

  it('reads undeclared JSON bodies too: text/plain cannot carry role admin past the body rule', async () => {
    const before = api.received.length;
    const sneaky = await curl([
      ...bearer(analyst),
      '-H',
      'Content-Type: text/plain',
      '-d',
      '{"name":"eve","role":"admin"}',
      `${proxy.url}/v1/users`,
    ]);
    expect(sneaky.status).toBe(403);
    expect(JSON.parse(sneaky.body)).toMatchObject({ rule: 'no-admin-grants' });
    const prose = await curl([
      ...bearer(analyst),
      '-H',
      'Content-Type: text/plain',
      '-d',
      'role: admin',
      `${proxy.url}/v1/comments`,
    ]);
    expect(prose.status).toBe(200);
    expect(api.received.slice(before).map((r) => r.body)).toEqual(['role: admin']);
  });

  it('refuses a body too large to check with 413 (fail closed), and streams big bodies where no rule reads them', async () => {
    const big = JSON.stringify({ role: 'viewer', pad: 'x'.repeat(2 * 1024 * 1024) });
    const upload = (url: string, type: string) =>
      runCommand(
        'curl',
        [
          '-sS',
          '-w',
          '\n%{http_code}',
          ...bearer(analyst),
          '-H',
          `Content-Type: ${type}`,
          '--data-binary',
          '@-',
          url,
        ],
        { input: big },
      );
    const refused = await upload(`${proxy.url}/v1/users`, 'application/json');
    expect(refused.stdout.trim().split('\n').at(-1)).toBe('413');
    const untyped = await upload(`${proxy.url}/v1/uploads`, 'application/octet-stream');
    expect(untyped.stdout.trim().split('\n').at(-1)).toBe('413');
    // A Connection whose policies never look into bodies streams them, however large.
    const open = await startHttpProxy(harness, {
      target: billingTarget(api.url),
      manifests: loadManifestsFromText(`apiVersion: crewgate.dev/v1alpha1
kind: AccessPolicy
metadata: { name: uploads, namespace: agents }
spec:
  subjects: [{ group: crewai-viewer }]
  connections: [billing-api]
  rules: [{ name: uploads, match: { operations: [http.post] }, action: Allow }]
`),
    });
    try {
      const before = api.received.length;
      const streamed = await upload(`${open.url}/v1/uploads`, 'application/json');
      expect(streamed.stderr).toBe('');
      expect(streamed.stdout.trim().split('\n').at(-1)).toBe('200');
      expect(api.received.slice(before)[0]!.body.length).toBe(big.length);
    } finally {
      await open.listener.close();
    }
  });

  it('refuses callers without a valid token with 401 and counts them', async () => {
    const none = await curl([`${proxy.url}/v1/customers`]);
    expect(none.status).toBe(401);
    expect(JSON.parse(none.body).reason).toMatch(/no bearer token/);
    const forged = await curl([...bearer(`${analyst.slice(0, -4)}AAAA`), `${proxy.url}/v1/customers`]);
    expect(forged.status).toBe(401);
    const basic = await curl(['-u', 'agent:secret', `${proxy.url}/v1/customers`]);
    expect(basic.status).toBe(401);
    const failures = await proxy.metrics.authFailures.get();
    expect(failures.values.map((v) => v.labels.reason)).toEqual(
      expect.arrayContaining(['missing', 'bad signature', 'malformed']),
    );
  });

  it('refuses CONNECT tunnels: what is inside could not be judged', async () => {
    const result = await runCommand('curl', [
      '-sS',
      '-p',
      '-x',
      proxy.url,
      'https://example.invalid/',
      '-o',
      '/dev/null',
      '-w',
      '%{http_connect}',
    ]);
    expect(result.stdout).toBe('405');
  });
});

describe('the workload identity and a custom credential header', () => {
  it('uses the pod identity without a token, and replaces an agent-sent credential header', async () => {
    const custom = await startHttpProxy(harness, {
      target: {
        spec: { type: 'http', address: api.url, http: { credentialHeader: 'X-Api-Key' } },
        credentials: { value: 'key-from-the-secret' },
      },
      workloadIdentity: {
        subject: 'system:serviceaccount:agents:ops-crew',
        groups: ['crewai-operator'],
        serviceAccount: 'agents/ops-crew',
      },
    });
    try {
      const before = api.received.length;
      const { status } = await curl(['-H', 'X-Api-Key: forged-by-agent', `${custom.url}/v1/ping`]);
      expect(status).toBe(200);
      const seen = api.received.slice(before)[0]!;
      expect(seen.headers['x-api-key']).toBe('key-from-the-secret');
      expect(seen.headers.authorization).toBeUndefined();
      const start = custom.recorder.events.find((e) => e.type === 'session.start');
      expect(start).toMatchObject({
        identity: { subject: 'system:serviceaccount:agents:ops-crew' },
        protocol: 'http',
      });
    } finally {
      await custom.listener.close();
    }
  });
});

describe('a Connection with a base path', () => {
  it('prefixes the base path upstream while rules see the path the agent sent', async () => {
    const based = await startHttpProxy(harness, { target: billingTarget(`${api.url}/base`) });
    try {
      const before = api.received.length;
      expect((await curl([...bearer(analyst), `${based.url}/v1/customers/7?x=1`])).status).toBe(200);
      expect(api.received.slice(before).map((r) => r.url)).toEqual(['/base/v1/customers/7?x=1']);
      const command = based.recorder.events.findLast((e) => e.type === 'command');
      expect(command).toMatchObject({ commands: [{ resources: ['/v1/customers/7'] }] });
    } finally {
      await based.listener.close();
    }
  });
});

describe('serving HTTPS to the agent', () => {
  it('serves TLS with the listener certificate when configured, and HEAD passes under masking', async () => {
    const ca = await loadCertificateAuthority(
      readFileSync(harness.caCertificateFile, 'utf8'),
      readFileSync(harness.caKeyFile, 'utf8'),
    );
    const serving = await issueCertificate(ca, {
      commonName: 'sidecar',
      dnsNames: ['localhost'],
      usage: 'server',
    });
    const tls = await startHttpProxy(harness, {
      target: billingTarget(api.url),
      listenerOptions: {
        tls: { certificatePem: serving.certificatePem, privateKeyPem: serving.privateKeyPem },
      },
    });
    try {
      const url = `https://localhost:${tls.listener.port}/v1/customers`;
      const ok = await curl(['--cacert', harness.caCertificateFile, ...bearer(analyst), url]);
      expect(ok.status).toBe(200);
      expect(ok.body).not.toContain('ada@example.com');
      const head = await runCommand('curl', [
        '-sS',
        '-I',
        '--cacert',
        harness.caCertificateFile,
        ...bearer(analyst),
        url,
      ]);
      expect(head.stdout).toMatch(/^HTTP\/1\.1 200/);
      const plain = await runCommand('curl', [
        '-sS',
        ...bearer(analyst),
        `http://localhost:${tls.listener.port}/v1/customers`,
      ]);
      expect(plain.stdout).not.toContain('Ada');
    } finally {
      await tls.listener.close();
    }
  });
});

describe('an HTTPS upstream', () => {
  it('verifies the upstream against the Connection CA and refuses one it cannot verify', async () => {
    const ca = readFileSync(harness.caCertificateFile, 'utf8');
    const verified = await startHttpProxy(harness, {
      target: billingTarget(tlsApi.url, { caCertificates: [ca] }),
    });
    const untrusted = await startHttpProxy(harness, { target: billingTarget(tlsApi.url) });
    try {
      const ok = await curl([...bearer(operator), `${verified.url}/v1/customers`]);
      expect(ok.status).toBe(200);
      expect(tlsApi.received.at(-1)!.headers.authorization).toBe(UPSTREAM_CREDENTIAL);
      const bad = await curl([...bearer(operator), `${untrusted.url}/v1/customers`]);
      expect(bad.status).toBe(502);
      expect(JSON.parse(bad.body).reason).toMatch(/UNABLE_TO_VERIFY_LEAF_SIGNATURE|self.signed|unable to/i);
    } finally {
      await verified.listener.close();
      await untrusted.listener.close();
    }
  });
});

describe('Python requests with the sidecar as its HTTP proxy', () => {
  const script = `
import json, os, sys, requests
token = os.environ["AGENT_TOKEN"]
out = {}
r = requests.get(os.environ["TARGET"] + "/v1/customers", headers={"Authorization": "Bearer " + token})
out["get"] = [r.status_code, r.json()]
r = requests.delete(os.environ["TARGET"] + "/v1/customers/1", headers={"Authorization": "Bearer " + token})
out["delete"] = [r.status_code, r.json()]
r = requests.get("http://elsewhere.invalid/v1/customers", headers={"Authorization": "Bearer " + token})
out["elsewhere"] = [r.status_code, r.json()]
json.dump(out, sys.stdout)
`;

  it('sends absolute-form requests for the Connection host through HTTP_PROXY, and other hosts are refused', async () => {
    const before = api.received.length;
    const result = await runCommand('/usr/bin/python3', ['-c', script], {
      env: {
        PATH: process.env.PATH,
        HTTP_PROXY: proxy.url,
        NO_PROXY: '',
        AGENT_TOKEN: analyst,
        TARGET: api.url.replace('127.0.0.1', '127.0.0.1'),
      },
    });
    expect(result.stderr).toBe('');
    const out = JSON.parse(result.stdout);
    expect(out.get[0]).toBe(200);
    expect(out.get[1].customers[0].email).not.toContain('@');
    expect(out.delete).toEqual([403, expect.objectContaining({ rule: 'no-deletes' })]);
    expect(out.elsewhere[0]).toBe(403);
    expect(out.elsewhere[1].error).toBe('host not served');
    const seen = api.received.slice(before);
    expect(seen.map((r) => `${r.method} ${r.url}`)).toEqual(['GET /v1/customers']);
    expect(seen[0]!.headers.authorization).toBe(UPSTREAM_CREDENTIAL);
    expect(seen[0]!.headers['proxy-connection']).toBeUndefined();
  });
});

/** Sends raw bytes and returns everything the proxy answered before closing. */
function raw(port: number, bytes: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1', () => socket.end(bytes));
    let data = '';
    socket.on('data', (c: Buffer) => (data += c.toString('latin1')));
    socket.on('close', () => resolve(data));
    socket.on('error', reject);
    setTimeout(() => socket.destroy(), 5000);
  });
}

describe('bad input', () => {
  const auth = () => `Authorization: Bearer ${analyst}\r\n`;
  const cases: [string, () => string, number, RegExp][] = [
    [
      'Content-Length with Transfer-Encoding',
      () =>
        `POST /v1/users HTTP/1.1\r\nHost: a\r\n${auth()}Content-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\nDELETE /v1/customers/1 HTTP/1.1\r\nHost: a\r\n\r\n`,
      400,
      /framing/,
    ],
    [
      'two Content-Length headers',
      () =>
        `POST /v1/users HTTP/1.1\r\nHost: a\r\n${auth()}Content-Length: 4\r\nContent-Length: 40\r\n\r\nabcd`,
      400,
      /framing/,
    ],
    [
      'an obs-fold header line',
      () => `GET /v1/customers HTTP/1.1\r\nHost: a\r\n${auth()}X-Note: a\r\n folded\r\n\r\n`,
      400,
      /malformed/,
    ],
    [
      'Transfer-Encoding gzip, chunked',
      () =>
        `POST /v1/users HTTP/1.1\r\nHost: a\r\n${auth()}Transfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n`,
      501,
      /Transfer-Encoding/,
    ],
    [
      'Transfer-Encoding in HTTP/1.0',
      () => `POST /v1/users HTTP/1.0\r\nHost: a\r\n${auth()}Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n`,
      400,
      /HTTP\/1\.0/,
    ],
    [
      'two Host headers',
      () => `GET /v1/customers HTTP/1.1\r\nHost: a\r\nHost: b\r\n${auth()}\r\n`,
      400,
      /more than one host/,
    ],
    [
      'two Authorization headers',
      () => `GET /v1/customers HTTP/1.1\r\nHost: a\r\n${auth()}Authorization: Bearer x\r\n\r\n`,
      400,
      /more than one authorization/,
    ],
    ['a bare LF line ending', () => `GET /v1/customers HTTP/1.1\nHost: a\n\n`, 400, /malformed/],
    [
      'a space before the header colon',
      () => `POST /v1/users HTTP/1.1\r\nHost: a\r\nTransfer-Encoding : chunked\r\n\r\n0\r\n\r\n`,
      400,
      /malformed/,
    ],
  ];
  it.each(cases)(
    'refuses %s with a JSON error, forwards nothing, and keeps serving',
    async (_name, bytes, status, reason) => {
      const before = api.received.length;
      const answer = await raw(proxy.listener.port, bytes());
      expect(answer).toMatch(new RegExp(`^HTTP/1\\.1 ${status} `));
      const body = JSON.parse(answer.slice(answer.indexOf('\r\n\r\n') + 4).split('\r\n')[0]!);
      expect(body.reason).toMatch(reason);
      expect(api.received.length).toBe(before);
      expect((await curl([...bearer(analyst), `${proxy.url}/v1/ping`])).status).toBe(200);
    },
  );

  it('answers oversized headers with 431 and keeps serving', async () => {
    const { status, body } = await curl([
      ...bearer(analyst),
      '-H',
      `X-Big: ${'a'.repeat(20_000)}`,
      `${proxy.url}/v1/ping`,
    ]);
    expect(status).toBe(431);
    expect(JSON.parse(body).reason).toMatch(/too large/);
    expect((await curl([...bearer(analyst), `${proxy.url}/v1/ping`])).status).toBe(200);
  });

  it('refuses unparseable paths (dot segments) through the policy, not by guessing', async () => {
    const { status, body } = await curl([...bearer(operator), '--path-as-is', `${proxy.url}/v1/../admin`]);
    expect(status).toBe(403);
    expect(JSON.parse(body).reason).toMatch(/parsed/);
  });
});

describe('recording', () => {
  it('records the session, the request line with its decision, selected headers and masked bodies', async () => {
    const ok = await curl([
      ...bearer(analyst),
      '-H',
      'Cookie: session=s3cr3t',
      '-H',
      'User-Agent: crew/1',
      `${proxy.url}/v1/customers`,
    ]);
    expect(ok.status).toBe(200);
    const events = proxy.recorder.events;
    const command = events.findLast((e) => e.type === 'command');
    expect(command).toMatchObject({
      type: 'command',
      commands: [{ text: 'GET /v1/customers', operations: ['http.get'], resources: ['/v1/customers'] }],
      decision: { action: 'Allow', policy: 'agents/analysts', rule: 'reads' },
    });
    const result = events.findLast((e) => e.type === 'result');
    expect(result).toMatchObject({ type: 'result', tag: 'HTTP 200', http: { status: 200 } });
    if (result?.type !== 'result' || !result.http) throw new Error('no http result');
    expect(result.http.requestHeaders).toMatchObject({ 'user-agent': 'crew/1' });
    expect(result.http.requestHeaders).not.toHaveProperty('authorization');
    expect(result.http.requestHeaders).not.toHaveProperty('cookie');
    expect(result.http.responseHeaders['content-type']).toBe('application/json');
    expect(result.http.responseBody).toContain('Ada Lovelace');
    expect(result.http.responseBody).not.toContain('ada@example.com');
    expect(result.http.responseBody).not.toContain('4111 1111 1111 1111');
    expect(JSON.stringify(events)).not.toContain(analyst);
    expect(JSON.stringify(events)).not.toContain(UPSTREAM_CREDENTIAL);
    expect(JSON.stringify(events)).not.toContain('s3cr3t');
    const start = events.find((e) => e.type === 'session.start' && e.session === command?.session);
    expect(start).toMatchObject({
      identity: { subject: 'agent-analyst' },
      connection: 'billing-api',
      protocol: 'http',
    });
  });

  it('counts sessions and body bytes, and a session ends with its client connection', async () => {
    const value = async (
      metric: { get(): Promise<{ values: { value: number; labels: object }[] }> },
      labels: object,
    ) =>
      (await metric.get()).values.find((v) => JSON.stringify(v.labels) === JSON.stringify(labels))?.value ??
      0;
    const before = await value(proxy.metrics.bytes, { protocol: 'http', direction: 'downstream' });
    expect((await curl([...bearer(operator), `${proxy.url}/v1/customers`])).status).toBe(200);
    const after = await value(proxy.metrics.bytes, { protocol: 'http', direction: 'downstream' });
    expect(after - before).toBe(JSON.stringify({ customers: CUSTOMERS }).length);
    const deadline = Date.now() + 5_000;
    while ((await value(proxy.metrics.activeSessions, { protocol: 'http' })) !== 0 && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 50));
    expect(await value(proxy.metrics.activeSessions, { protocol: 'http' })).toBe(0);
    const ends = proxy.recorder.events.filter((e) => e.type === 'session.end');
    expect(ends.at(-1)).toMatchObject({ reason: 'client disconnected' });
  });

  it('records a request body masked for the caller', async () => {
    await curl([
      ...bearer(analyst),
      '-H',
      'Content-Type: application/json',
      '-d',
      '{"role":"viewer","email":"eve@example.com","card":"4111111111111111"}',
      `${proxy.url}/v1/users`,
    ]);
    const result = proxy.recorder.events.findLast((e) => e.type === 'result');
    if (result?.type !== 'result' || !result.http) throw new Error('no http result');
    expect(result.http.requestBody).toContain('viewer');
    expect(result.http.requestBody).not.toContain('eve@example.com');
    expect(result.http.requestBody).not.toContain('4111111111111111');
  });
});
