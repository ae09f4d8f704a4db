import type * as Http from 'node:http';
import type * as Https from 'node:https';
import type { Duplex } from 'node:stream';
import type * as Tls from 'node:tls';
import {
  bypassesProxy,
  type FetchInitLike,
  type FetchLike,
  type FetchResponseLike,
  type ProxySettings,
} from './http.ts';

/**
 * A fetch-shaped function over node:http and node:https.
 *
 * Why not the global fetch: Node loads its internal undici on the first fetch call, about 80 ms on this project's
 * machines, against 15 ms for a first node:http request (bench/startup measures both); cold start matters for actions
 * that run on every job. This transport also gives Airlock exactly the semantics it wants: no redirects followed (a
 * credential is never forwarded to another origin), proxies from HTTPS_PROXY/HTTP_PROXY/NO_PROXY (CONNECT tunnels for
 * https, absolute-form requests for http, basic proxy auth from the proxy URL), and extra CA certificates for
 * private instances.
 *
 * node:http, node:https and node:tls are loaded on the first request, not at start-up: together they cost 7–15 ms of
 * module loading, and many runs (verify with a trusted-root file, audit offline, redact) never make a request.
 */
export interface NodeFetchOptions {
  readonly proxy?: ProxySettings;
  /** Extra trusted CA certificates (PEM), added to Node's default roots. */
  readonly ca?: string;
}

const http = (): typeof Http => process.getBuiltinModule('node:http');
const https = (): typeof Https => process.getBuiltinModule('node:https');
const tls = (): typeof Tls => process.getBuiltinModule('node:tls');

export function createNodeFetch(options: NodeFetchOptions = {}): FetchLike {
  let ca: string[] | undefined;
  return (url, init) => {
    if (options.ca !== undefined) ca ??= [...tls().rootCertificates, options.ca];
    const target = new URL(url);
    if (target.protocol !== 'http:' && target.protocol !== 'https:') {
      return Promise.reject(new TypeError(`unsupported protocol ${target.protocol}`));
    }
    const proxy = options.proxy;
    const proxyUri = target.protocol === 'https:' ? (proxy?.httpsProxy ?? proxy?.httpProxy) : proxy?.httpProxy;
    const useProxy = proxyUri !== undefined && !bypassesProxy(target, proxy?.noProxy);
    return send(target, init, useProxy ? new URL(proxyUri) : undefined, ca);
  };
}

function proxyAuthorization(proxy: URL): Record<string, string> {
  if (proxy.username === '') return {};
  const credentials = `${decodeURIComponent(proxy.username)}:${decodeURIComponent(proxy.password)}`;
  return { 'proxy-authorization': `Basic ${Buffer.from(credentials).toString('base64')}` };
}

function defaultPort(url: URL): number {
  return url.port !== '' ? Number(url.port) : url.protocol === 'https:' ? 443 : 80;
}

/** Open a CONNECT tunnel through the proxy and start TLS to the target inside it. */
function tunnel(proxy: URL, target: URL, ca: string[] | undefined, signal: AbortSignal | undefined): Promise<Duplex> {
  return new Promise((resolve, reject) => {
    const authority = `${target.hostname}:${defaultPort(target)}`;
    const request = (proxy.protocol === 'https:' ? https() : http()).request({
      host: proxy.hostname,
      port: defaultPort(proxy),
      method: 'CONNECT',
      path: authority,
      headers: { host: authority, ...proxyAuthorization(proxy) },
      ...(signal === undefined ? {} : { signal }),
    });
    request.once('connect', (res, socket) => {
      if (res.statusCode !== 200) {
        socket.destroy();
        reject(Object.assign(new Error(`proxy refused CONNECT with HTTP ${res.statusCode}`), { code: 'EPROXY' }));
        return;
      }
      const secure = tls().connect({ socket, servername: target.hostname, ...(ca === undefined ? {} : { ca }) });
      secure.once('secureConnect', () => resolve(secure));
      secure.once('error', reject);
    });
    request.once('error', reject);
    request.end();
  });
}

async function send(
  target: URL,
  init: FetchInitLike,
  proxy: URL | undefined,
  ca: string[] | undefined,
): Promise<FetchResponseLike> {
  const headers: Record<string, string> = { ...init.headers };
  const body = init.body ?? undefined;
  if (body !== undefined) headers['content-length'] = String(Buffer.byteLength(body));
  const signal = init.signal;
  let options: Http.RequestOptions | Https.RequestOptions;
  let transport: typeof Http | typeof Https;
  if (proxy !== undefined && target.protocol === 'https:') {
    const socket = await tunnel(proxy, target, ca, signal);
    transport = http(); // TLS is already established inside the tunnel
    options = { createConnection: () => socket, host: target.hostname, path: target.pathname + target.search };
    headers.host ??= target.host;
  } else if (proxy !== undefined) {
    transport = proxy.protocol === 'https:' ? https() : http();
    options = { host: proxy.hostname, port: defaultPort(proxy), path: target.href };
    Object.assign(headers, proxyAuthorization(proxy));
    headers.host ??= target.host;
  } else {
    transport = target.protocol === 'https:' ? https() : http();
    options = {
      host: target.hostname.replace(/^\[|\]$/g, ''),
      port: defaultPort(target),
      path: target.pathname + target.search,
      ...(target.protocol === 'https:' && ca !== undefined ? { ca } : {}),
    };
  }
  return new Promise((resolve, reject) => {
    const request = transport.request(
      {
        // A fresh connection per request (no keep-alive pool to leak sockets or credentials between origins);
        // the tunnel case brings its own connection.
        ...(options.createConnection === undefined ? { agent: false } : {}),
        ...options,
        method: init.method ?? 'GET',
        headers,
        ...(signal === undefined ? {} : { signal }),
      },
      (res) => {
        resolve({
          status: res.statusCode ?? 0,
          statusText: res.statusMessage ?? '',
          url: target.href,
          headers: {
            get: (name) => {
              const value = res.headers[name.toLowerCase()];
              return value === undefined ? null : Array.isArray(value) ? value.join(', ') : value;
            },
            forEach: (fn) => {
              for (const [key, value] of Object.entries(res.headers)) {
                if (value !== undefined) fn(Array.isArray(value) ? value.join(', ') : value, key);
              }
            },
          },
          body: res,
        });
      },
    );
    request.once('error', reject);
    request.end(body);
  });
}
