// The client address a per-address limit counts: the socket's peer or, behind --trust-proxy N, the address N hops
// back in X-Forwarded-For — Express's rule, so the WebSocket limits and the HTTP rate limit see the same client.
import type { IncomingMessage } from 'node:http';
import { ipKeyGenerator } from 'express-rate-limit';

/** Longest key kept: a forwarded "address" is whatever the proxy wrote, and keys are held in maps. */
const MAX_KEY_CHARS = 64;

/** X-Forwarded-For's addresses, nearest proxy first (the order proxy-addr walks them); empty entries dropped. */
function forwardedChain(header: string | string[] | undefined): string[] {
  const text = Array.isArray(header) ? header.join(',') : (header ?? '');
  return text
    .split(',')
    .map((a) => a.trim())
    .filter((a) => a.length > 0)
    .reverse();
}

/**
 * The address Express's req.ip gives with `trust proxy` set to `trustProxy`: false believes no header; N believes
 * the last N hops, so the answer is the entry N back from the socket (or the farthest one if the chain is shorter).
 */
export function clientAddress(peer: string | undefined, forwardedFor: string | string[] | undefined, trustProxy: false | number): string {
  const socket = peer ?? 'unknown';
  if (trustProxy === false || trustProxy < 1) return socket;
  const chain = [socket, ...forwardedChain(forwardedFor)];
  return chain[Math.min(trustProxy, chain.length - 1)]!;
}

/** The key per-address limits count under: the client address grouped as the HTTP rate limit groups it (IPv6 by /56). */
export function addressKey(req: IncomingMessage, trustProxy: false | number): string {
  const address = clientAddress(req.socket.remoteAddress, req.headers['x-forwarded-for'], trustProxy);
  let key: string;
  try {
    key = ipKeyGenerator(address);
  } catch {
    key = address; // not an address ipaddr can parse (a proxy's junk): counted as itself
  }
  return key.slice(0, MAX_KEY_CHARS);
}
