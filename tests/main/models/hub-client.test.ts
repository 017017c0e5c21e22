import { test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import { HubClient, proxyFor } from '../../../src-main/models/hub-client.ts';
import { downloadModel } from '../../../src-main/models/download.ts';
import { makeWhisperRepo, startFakeHub } from './fake-hub.ts';

function listen(server: net.Server): Promise<number> {
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve((server.address() as AddressInfo).port)));
}

function close(server: http.Server): Promise<void> {
  server.closeAllConnections?.();
  return new Promise((resolve) => server.close(() => resolve()));
}

/** A tiny forward proxy: absolute-form HTTP requests and CONNECT tunnels, each one logged. */
async function startProxy() {
  const seen: string[] = [];
  const server = http.createServer((req, res) => {
    seen.push(`${req.method} ${req.url}`);
    const target = new URL(req.url!);
    const up = http.request(target, { method: req.method, headers: req.headers }, (r) => {
      res.writeHead(r.statusCode!, r.headers);
      r.pipe(res);
    });
    up.on('error', () => res.destroy());
    req.pipe(up);
  });
  const tunnels = new Set<net.Socket>();
  server.on('connect', (req, client: net.Socket, head) => {
    seen.push(`CONNECT ${req.url}`);
    const [host, port] = req.url!.split(':');
    const up = net.connect(Number(port), host, () => {
      client.write('HTTP/1.1 200 Connection Established\r\n\r\n');
      up.write(head);
      up.pipe(client);
      client.pipe(up);
    });
    // Either side going away ends the tunnel (a piped stream does not do that by itself).
    for (const [a, b] of [[up, client], [client, up]]) a.on('close', () => b.destroy()).on('error', () => b.destroy());
    tunnels.add(client).add(up);
  });
  const port = await listen(server);
  return {
    url: `http://127.0.0.1:${port}`,
    seen,
    close: () => {
      for (const t of tunnels) t.destroy();
      return close(server);
    },
  };
}

test('proxyFor reads HTTPS_PROXY / HTTP_PROXY and honours NO_PROXY', () => {
  const env = { HTTPS_PROXY: 'http://proxy:3128', http_proxy: 'proxy2:8080', NO_PROXY: 'localhost,.internal.example,10.0.0.1:8000' };
  assert.equal(proxyFor(new URL('https://huggingface.co/x'), env)?.href, 'http://proxy:3128/');
  assert.equal(proxyFor(new URL('http://cdn.example/x'), env)?.host, 'proxy2:8080');
  assert.equal(proxyFor(new URL('https://localhost/x'), env), null);
  assert.equal(proxyFor(new URL('https://hub.internal.example/x'), env), null);
  assert.equal(proxyFor(new URL('http://10.0.0.1:8000/x'), env), null);
  assert.equal(proxyFor(new URL('http://10.0.0.1:9000/x'), env)?.host, 'proxy2:8080', 'NO_PROXY port must match');
  assert.equal(proxyFor(new URL('https://x.org/'), { ...env, no_proxy: '*' }), null);
  assert.equal(proxyFor(new URL('https://x.org/'), {}), null);
});

test('a whole download goes through HTTP_PROXY (absolute-form), unless NO_PROXY names the host', async () => {
  const repo = makeWhisperRepo('acme/proxied', 'p1', 32 * 1024);
  const hub = await startFakeHub([repo]);
  const proxy = await startProxy();
  const cacheDir = mkdtempSync(path.join(tmpdir(), 'vt-proxy-'));
  try {
    const r = await downloadModel(repo.id, { cacheDir, endpoint: hub.endpoint, env: { HTTP_PROXY: proxy.url }, backoffMs: 5 });
    assert.ok(readFileSync(path.join(r.snapshotDir, 'model.safetensors')).equals(repo.files.get('model.safetensors')!));
    assert.ok(proxy.seen.includes(`GET ${hub.endpoint}/api/models/acme/proxied/revision/main`));
    assert.ok(proxy.seen.some((s) => s.startsWith(`GET ${hub.cdnOrigin}/cdn/`)), 'the CDN request went through the proxy too');
    const before = proxy.seen.length;
    const client = new HubClient({ endpoint: hub.endpoint, env: { HTTP_PROXY: proxy.url, NO_PROXY: '127.0.0.1' } });
    await client.getJson(client.apiRevisionUrl(repo.id, 'main'), 'x');
    assert.equal(proxy.seen.length, before, 'NO_PROXY bypassed the proxy');
  } finally {
    await proxy.close();
    await hub.close();
    rmSync(cacheDir, { recursive: true, force: true });
  }
});

let openssl = true;
try {
  execFileSync('openssl', ['version'], { stdio: 'ignore' });
} catch {
  openssl = false;
}

test('HTTPS goes through HTTPS_PROXY with a CONNECT tunnel, TLS verified end to end', { skip: !openssl && 'needs the openssl tool to make a test certificate' }, async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'vt-tls-'));
  const key = path.join(dir, 'key.pem');
  const cert = path.join(dir, 'cert.pem');
  execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', cert, '-days', '1', '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1'], { stdio: 'ignore' });
  const auth: (string | undefined)[] = [];
  const server = https.createServer({ key: readFileSync(key), cert: readFileSync(cert) }, (req, res) => {
    auth.push(req.headers.authorization);
    res.writeHead(200, { 'Content-Type': 'application/json' });
    res.end(JSON.stringify({ sha: 'c'.repeat(40), siblings: [] }));
  });
  const port = await listen(server);
  const proxy = await startProxy();
  try {
    const client = new HubClient({ endpoint: `https://127.0.0.1:${port}`, token: 'hf_tok', env: { HTTPS_PROXY: proxy.url }, ca: readFileSync(cert, 'utf8') });
    const info = await client.getJson<{ sha: string }>(client.apiRevisionUrl('acme/x', 'main'), 'acme/x');
    assert.equal(info.sha, 'c'.repeat(40));
    assert.deepEqual(proxy.seen, [`CONNECT 127.0.0.1:${port}`]);
    assert.deepEqual(auth, ['Bearer hf_tok'], 'the token travelled inside the tunnel, to the Hub host');
    // Without trusting the test CA the same request must fail: the tunnel does not skip TLS checks.
    const untrusting = new HubClient({ endpoint: `https://127.0.0.1:${port}`, env: { HTTPS_PROXY: proxy.url }, retries: 0 });
    await assert.rejects(untrusting.getJson(untrusting.apiRevisionUrl('acme/x', 'main'), 'acme/x'), /self[- ]signed/i);
  } finally {
    await proxy.close();
    await close(server);
    rmSync(dir, { recursive: true, force: true });
  }
});

test('503 and 429 are retried with backoff; 404 is not', async () => {
  let n = 0;
  const server = http.createServer((req, res) => {
    n++;
    if (req.url!.includes('flaky') && n < 3) {
      res.writeHead(n === 1 ? 503 : 429);
      return res.end();
    }
    if (req.url!.includes('flaky')) {
      res.writeHead(200, { 'Content-Type': 'application/json' });
      return res.end('{"ok":true}');
    }
    res.writeHead(404, { 'X-Error-Code': 'RepoNotFound' });
    res.end('{}');
  });
  const port = await listen(server);
  try {
    const client = new HubClient({ endpoint: `http://127.0.0.1:${port}`, env: {}, backoffMs: 5, retries: 3 });
    assert.deepEqual(await client.getJson(`http://127.0.0.1:${port}/flaky`, 'flaky'), { ok: true });
    assert.equal(n, 3);
    n = 10;
    await assert.rejects(client.getJson(`http://127.0.0.1:${port}/api/models/a/b/revision/main`, 'a/b'), { code: 'HUB_REPO_NOT_FOUND' });
    assert.equal(n, 11, 'a 404 is final');
  } finally {
    await close(server);
  }
});
