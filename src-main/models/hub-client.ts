/**
 * @file HTTP to the Hugging Face Hub with the behaviour a desktop download needs and `fetch`
 * does not give us: redirects followed by hand (so the token never leaves the Hub's host and a
 * HEAD can stop at the CDN redirect to read `X-Linked-Etag`), HTTP(S)_PROXY / NO_PROXY with a
 * CONNECT tunnel, an inactivity (stall) timeout, retries with exponential backoff, and Hub error
 * codes turned into sentences a user can act on.
 *
 * It knows URLs and status codes, not the cache or which files a model needs (download.ts).
 */
import http from 'node:http';
import https from 'node:https';
import tls from 'node:tls';
import { isIP, type Socket } from 'node:net';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { homedir } from 'node:os';
import { UserError } from '../util/errors.ts';

export const DEFAULT_ENDPOINT = 'https://huggingface.co';

/** A failure talking to the Hub. `status` is the HTTP status when there was one. */
export class HubError extends UserError {
  constructor(
    code: string,
    message: string,
    readonly status?: number,
  ) {
    super(code, message);
    this.name = 'HubError';
  }
}

export type HubClientOptions = {
  /** Defaults to $HF_ENDPOINT, then https://huggingface.co. */
  endpoint?: string;
  /** Defaults to $HF_TOKEN, $HUGGING_FACE_HUB_TOKEN, then the file `huggingface-cli login` writes. */
  token?: string;
  /** Where proxy and token variables are read from (tests pass their own). */
  env?: NodeJS.ProcessEnv;
  /** No byte in or out for this long aborts the request (covers connect, headers and body). */
  stallMs?: number;
  /** Attempts after the first for network errors, 429 and 5xx. */
  retries?: number;
  /** First retry delay; doubles each attempt. */
  backoffMs?: number;
  /** Extra trusted CA certificates (PEM), e.g. a company TLS-inspecting proxy's; NODE_EXTRA_CA_CERTS works too. */
  ca?: string;
};

export type HubResponse = {
  status: number;
  headers: http.IncomingHttpHeaders;
  /** The URL that produced this response (after redirects). */
  url: string;
  /** Headers of the first response from the Hub's own host: X-Repo-Commit, X-Linked-Etag live there. */
  hubHeaders: http.IncomingHttpHeaders;
  body: http.IncomingMessage;
};

export type RequestOptions = {
  method?: 'GET' | 'HEAD';
  headers?: Record<string, string>;
  signal?: AbortSignal;
  /** 'follow' follows every redirect; 'same-host' stops at one that leaves the current host. */
  redirect?: 'follow' | 'same-host';
};

/** The token a user configured, or undefined. Same sources and order as huggingface_hub. */
export function resolveToken(env: NodeJS.ProcessEnv = process.env): string | undefined {
  const t = env.HF_TOKEN || env.HUGGING_FACE_HUB_TOKEN;
  if (t) return t.trim();
  const home = env.HF_HOME || path.join(env.XDG_CACHE_HOME || path.join(homedir(), '.cache'), 'huggingface');
  const file = env.HF_TOKEN_PATH || path.join(home, 'token');
  return existsSync(file) ? readFileSync(file, 'utf8').trim() || undefined : undefined;
}

/** The proxy for a URL per HTTPS_PROXY / HTTP_PROXY / ALL_PROXY and NO_PROXY (lower case wins, as in curl). */
export function proxyFor(url: URL, env: NodeJS.ProcessEnv = process.env): URL | null {
  const get = (k: string) => env[k.toLowerCase()] || env[k.toUpperCase()];
  const noProxy = (get('no_proxy') ?? '').split(/[\s,]+/).filter(Boolean);
  const host = url.hostname.replace(/^\[|\]$/g, '').toLowerCase();
  const port = url.port || (url.protocol === 'https:' ? '443' : '80');
  for (const rule of noProxy) {
    if (rule === '*') return null;
    const [rHost, rPort] = rule.toLowerCase().replace(/^\*/, '').split(/:(?=\d+$)/);
    if (rPort && rPort !== port) continue;
    const bare = rHost.replace(/^\./, '');
    if (host === bare || host.endsWith(`.${bare}`)) return null;
  }
  const raw = url.protocol === 'https:' ? get('https_proxy') || get('all_proxy') : get('http_proxy') || get('all_proxy');
  if (!raw) return null;
  try {
    return new URL(raw.includes('://') ? raw : `http://${raw}`);
  } catch {
    throw new HubError('PROXY_INVALID', `The proxy setting "${raw}" is not a URL; fix HTTPS_PROXY / HTTP_PROXY.`);
  }
}

function proxyAuth(proxy: URL): Record<string, string> {
  if (!proxy.username) return {};
  const cred = `${decodeURIComponent(proxy.username)}:${decodeURIComponent(proxy.password)}`;
  return { 'Proxy-Authorization': `Basic ${Buffer.from(cred).toString('base64')}` };
}

/** Opens a CONNECT tunnel through an HTTP proxy to host:port (how HTTPS goes through a proxy). */
function connectTunnel(proxy: URL, target: URL, stallMs: number, signal?: AbortSignal): Promise<Socket> {
  const port = target.port || '443';
  return new Promise((resolve, reject) => {
    const req = http.request({
      host: proxy.hostname,
      port: proxy.port || 80,
      method: 'CONNECT',
      path: `${target.hostname}:${port}`,
      headers: { Host: `${target.hostname}:${port}`, ...proxyAuth(proxy) },
      signal,
    });
    req.setTimeout(stallMs, () => req.destroy(new Error(`proxy ${proxy.host} did not answer CONNECT`)));
    req.on('connect', (res, socket) => {
      if (res.statusCode === 200) resolve(socket);
      else {
        socket.destroy();
        reject(new HubError('PROXY_FAILED', `The proxy ${proxy.host} refused the connection to ${target.host} (HTTP ${res.statusCode}); check HTTPS_PROXY.`));
      }
    });
    req.on('error', reject);
    req.end();
  });
}

const RETRY_STATUS = new Set([429, 500, 502, 503, 504]);
const NETWORK_CODES = new Set(['ECONNRESET', 'ECONNREFUSED', 'ETIMEDOUT', 'EPIPE', 'EAI_AGAIN', 'ENOTFOUND', 'ENETUNREACH', 'EHOSTUNREACH', 'STALLED']);

export function isNetworkError(e: unknown): boolean {
  const code = (e as { code?: unknown })?.code;
  return typeof code === 'string' && (NETWORK_CODES.has(code) || code.startsWith('ERR_STREAM') || code === 'ERR_SOCKET_CONNECTION_TIMEOUT');
}

export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const t = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(t);
      reject(signal!.reason);
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/** Turns a Hub error response into a HubError with a sentence that says what to do. */
export function hubErrorFor(status: number, headers: http.IncomingHttpHeaders, what: string, hasToken: boolean): HubError {
  const code = String(headers['x-error-code'] ?? '');
  const hint = hasToken ? 'check that HF_TOKEN belongs to an account with access' : 'set HF_TOKEN to a Hugging Face access token';
  if (code === 'RepoNotFound') {
    // The Hub answers 401 RepoNotFound for private repos too, so both causes are named.
    return new HubError('HUB_REPO_NOT_FOUND', `${what}: the repository does not exist on the Hub (or is private: ${hint}). Check the repo id.`, status);
  }
  if (code === 'RevisionNotFound') return new HubError('HUB_REVISION_NOT_FOUND', `${what}: that revision (branch, tag or commit) does not exist; check --revision.`, status);
  if (code === 'EntryNotFound') return new HubError('HUB_FILE_NOT_FOUND', `${what}: the file is not in the repository at that revision.`, status);
  if (code === 'GatedRepo' || status === 401 || status === 403) {
    return new HubError(
      status === 403 ? 'HUB_ACCESS_DENIED' : 'HUB_AUTH_REQUIRED',
      `${what}: the repository needs an accepted licence or access rights (HTTP ${status}); accept its terms on huggingface.co and ${hint}.`,
      status,
    );
  }
  if (status === 404) return new HubError('HUB_NOT_FOUND', `${what}: not found on the Hub (HTTP 404); check the repo id and revision.`, status);
  if (status === 429) return new HubError('HUB_RATE_LIMITED', `${what}: the Hub is rate-limiting requests (HTTP 429); wait a minute and try again.`, status);
  return new HubError('HUB_HTTP_ERROR', `${what}: the Hub answered HTTP ${status}; try again later.`, status);
}

export class HubClient {
  readonly endpoint: string;
  readonly token: string | undefined;
  private readonly env: NodeJS.ProcessEnv;
  private readonly stallMs: number;
  private readonly retries: number;
  private readonly backoffMs: number;
  private readonly ca: string | undefined;

  constructor(opts: HubClientOptions = {}) {
    this.env = opts.env ?? process.env;
    this.endpoint = (opts.endpoint || this.env.HF_ENDPOINT || DEFAULT_ENDPOINT).replace(/\/+$/, '');
    this.token = opts.token ?? resolveToken(this.env);
    this.stallMs = opts.stallMs ?? 30_000;
    this.retries = opts.retries ?? 4;
    this.backoffMs = opts.backoffMs ?? 1000;
    this.ca = opts.ca;
  }

  /** `{endpoint}/{repo}/resolve/{revision}/{file}` with each path part escaped. */
  resolveUrl(repo: string, revision: string, file: string): string {
    const f = file.split('/').map(encodeURIComponent).join('/');
    return `${this.endpoint}/${repo}/resolve/${encodeURIComponent(revision)}/${f}`;
  }

  apiRevisionUrl(repo: string, revision: string): string {
    return `${this.endpoint}/api/models/${repo}/revision/${encodeURIComponent(revision)}`;
  }

  /** Whether the token may go to this URL: only to the endpoint's own origin, never to a CDN. */
  private mayAuthorize(url: URL): boolean {
    const ep = new URL(this.endpoint);
    return url.protocol === ep.protocol && url.host === ep.host;
  }

  /** One HTTP exchange, no redirects, no retries. Resolves when the headers arrive. */
  private once(url: URL, method: string, headers: Record<string, string>, signal?: AbortSignal): Promise<http.IncomingMessage> {
    const all: Record<string, string> = { 'User-Agent': 'vocab-tuner; hf_hub-compatible', ...headers };
    if (this.token && this.mayAuthorize(url)) all.Authorization = `Bearer ${this.token}`;
    const proxy = proxyFor(url, this.env);
    const stallMs = this.stallMs;
    const ca = this.ca ? { ca: [...tls.rootCertificates, this.ca] } : {};
    return new Promise((resolve, reject) => {
      const start = (req: http.ClientRequest) => {
        // Socket inactivity in either direction: connect, waiting for headers, or a body that stops.
        req.setTimeout(stallMs, () => {
          const err = Object.assign(new Error(`no data from ${url.host} for ${Math.round(stallMs / 1000)} s`), { code: 'STALLED' });
          req.destroy(err);
        });
        req.on('response', resolve);
        req.on('error', reject);
        req.end();
      };
      if (!proxy) {
        start(url.protocol === 'https:' ? https.request(url, { method, headers: all, signal, ...ca }) : http.request(url, { method, headers: all, signal }));
      } else if (url.protocol === 'http:') {
        // Plain HTTP through a proxy: absolute-form request line to the proxy itself.
        start(
          http.request({
            host: proxy.hostname,
            port: proxy.port || 80,
            method,
            path: url.href,
            headers: { ...all, Host: url.host, ...proxyAuth(proxy) },
            signal,
          }),
        );
      } else {
        connectTunnel(proxy, url, stallMs, signal).then(
          (socket) => {
            // SNI must be a host name, never an IP literal; the certificate is still checked against host.
            const secure = tls.connect({ socket, host: url.hostname, servername: isIP(url.hostname) ? undefined : url.hostname, ...ca });
            const req = https.request(url, { method, headers: all, signal, createConnection: () => secure });
            // The tunnel is ours alone: close it with the response, or after a failure such as a
            // rejected certificate (else the proxy connection stays open).
            const closeTunnel = () => {
              secure.destroy();
              socket.destroy();
            };
            req.on('error', closeTunnel);
            req.on('response', (res) => res.on('close', closeTunnel));
            start(req);
          },
          reject,
        );
      }
    });
  }

  /** A request with redirects followed by hand and retries on network errors, 429 and 5xx. */
  async request(href: string, opts: RequestOptions = {}): Promise<HubResponse> {
    const method = opts.method ?? 'GET';
    for (let attempt = 0; ; attempt++) {
      try {
        let url = new URL(href);
        let hubHeaders: http.IncomingHttpHeaders | null = null;
        for (let hop = 0; hop <= 10; hop++) {
          const res = await this.once(url, method, opts.headers ?? {}, opts.signal);
          const status = res.statusCode ?? 0;
          if (!hubHeaders && this.mayAuthorize(url)) hubHeaders = res.headers;
          const loc = res.headers.location;
          if ([301, 302, 303, 307, 308].includes(status) && loc) {
            const next = new URL(loc, url);
            if (opts.redirect === 'same-host' && next.host !== url.host) {
              return { status, headers: res.headers, url: url.href, hubHeaders: hubHeaders ?? res.headers, body: res };
            }
            res.resume();
            url = next;
            continue;
          }
          if (RETRY_STATUS.has(status) && attempt < this.retries) {
            res.resume();
            throw Object.assign(new Error(`HTTP ${status}`), { retryStatus: status });
          }
          return { status, headers: res.headers, url: url.href, hubHeaders: hubHeaders ?? res.headers, body: res };
        }
        throw new HubError('HUB_TOO_MANY_REDIRECTS', `${href}: more than 10 redirects; check HF_ENDPOINT and any proxy.`);
      } catch (e) {
        if (opts.signal?.aborted) throw e;
        const retryable = isNetworkError(e) || (e as { retryStatus?: number }).retryStatus !== undefined;
        if (!retryable) throw e;
        if (attempt >= this.retries) throw unreachable(this.endpoint, e);
        await sleep(this.backoffMs * 2 ** attempt, opts.signal);
      }
    }
  }

  /** GET a JSON document; a non-2xx answer becomes a HubError about `what`. */
  async getJson<T>(href: string, what: string, signal?: AbortSignal): Promise<T> {
    const res = await this.request(href, { signal });
    const text = await readBody(res.body);
    if (res.status < 200 || res.status >= 300) throw hubErrorFor(res.status, res.headers, what, !!this.token);
    try {
      return JSON.parse(text) as T;
    } catch {
      throw new HubError('HUB_BAD_RESPONSE', `${what}: the Hub's answer is not JSON; check HF_ENDPOINT (${this.endpoint}).`);
    }
  }
}

export function unreachable(endpoint: string, cause: unknown): HubError {
  const why = cause instanceof Error ? cause.message : String(cause);
  return new HubError(
    'HUB_UNREACHABLE',
    `Could not reach ${endpoint} (${why}); check the network connection, HF_ENDPOINT and HTTPS_PROXY, then run the download again (it resumes).`,
  );
}

export async function readBody(body: http.IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of body) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}
