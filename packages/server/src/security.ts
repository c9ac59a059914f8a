/**
 * Token comparison, loopback detection, the Host rule of every request and
 * the Origin rule of websocket upgrades. Pure functions, one place to audit.
 */
import { createHash, timingSafeEqual } from 'node:crypto';

/**
 * Constant-time token check: both sides are hashed first so the comparison
 * runs on equal-length digests (timingSafeEqual throws on unequal lengths,
 * and comparing lengths first would leak the token's length).
 */
export function tokenMatches(expected: string, given: unknown): boolean {
  if (typeof given !== 'string') return false;
  const a = createHash('sha256').update(expected).digest();
  const b = createHash('sha256').update(given).digest();
  return timingSafeEqual(a, b);
}

/** Whether a host name or address means this machine only. */
export function isLoopbackHost(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, '').toLowerCase();
  return h === 'localhost' || h === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(h) || h === '::ffff:127.0.0.1';
}

/** Host part of a Host header or URL host ('127.0.0.1:6007' → '127.0.0.1', '[::1]:80' → '::1'). */
export function hostOnly(hostPort: string): string {
  if (hostPort.startsWith('[')) return hostPort.slice(1, hostPort.indexOf(']'));
  const i = hostPort.lastIndexOf(':');
  return i === -1 ? hostPort : hostPort.slice(0, i);
}

/**
 * The Origin rule of websocket upgrades (PROTOCOL.md "Security"):
 * - no Origin header: a non-browser client (the Node callback, curl), allowed
 *   — browsers always send one, so a web page cannot pretend to be one;
 * - an Origin whose host:port equals the request's Host: the dashboard served
 *   by this server;
 * - a loopback Origin (localhost, 127.x, [::1], any port): a dashboard dev
 *   server or a training page on this machine;
 * - an Origin listed in `allowedOrigins`;
 * anything else (a random web site the user visits) is refused with 403, so
 * it can neither read runs nor publish into them.
 */
export function originAllowed(origin: string | undefined, hostHeader: string | undefined, allowedOrigins: readonly string[]): boolean {
  if (origin === undefined) return true;
  if (allowedOrigins.includes(origin)) return true;
  let url: URL;
  try {
    url = new URL(origin);
  } catch {
    return false; // 'null' (sandboxed iframes, file://) and garbage
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return false;
  if (hostHeader !== undefined && url.host.toLowerCase() === hostHeader.toLowerCase()) return true;
  return isLoopbackHost(hostOnly(url.host));
}

/**
 * The Host rule of every HTTP request and websocket upgrade (PROTOCOL.md
 * "Security"), against DNS rebinding: a page on a foreign name that
 * resolves to 127.0.0.1 reaches this port with `Host: that-name`, and the
 * browser counts it same-origin with the page. So a server bound to
 * loopback answers only requests whose Host is a loopback name or address
 * (localhost, 127.x.x.x, [::1]) or listed in `allowedHosts` (a reverse
 * proxy's name). A server bound elsewhere (which requires a token) is meant
 * to be reached by other names: any Host. No Host header at all is not a
 * browser (browsers always send one), and is allowed.
 */
export function hostAllowed(hostHeader: string | undefined, boundHost: string, allowedHosts: readonly string[]): boolean {
  if (hostHeader === undefined) return true;
  if (!isLoopbackHost(boundHost)) return true;
  const name = hostOnly(hostHeader.trim()).toLowerCase();
  if (name.length === 0) return false;
  return isLoopbackHost(name) || allowedHosts.some((h) => h.toLowerCase() === name);
}
