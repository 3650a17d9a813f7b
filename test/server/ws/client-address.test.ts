// The client address per-address limits count: Express's req.ip for every trust-proxy setting (checked against a real
// Express app), grouped as the HTTP rate limit groups addresses.
import { request, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addressKey, clientAddress } from '../../../server/ws/client-address';

const TRUST = [false, 1, 2, 3] as const;
const CHAINS = [undefined, '203.0.113.7', '203.0.113.7, 198.51.100.2', '203.0.113.7,198.51.100.2,192.0.2.9', ' , 203.0.113.7 ,, ', 'junk, 198.51.100.2'];

describe('clientAddress agrees with Express', () => {
  const servers: { close(): void }[] = [];
  const urls = new Map<string, number>();
  beforeAll(async () => {
    for (const trust of TRUST) {
      const app = express();
      app.set('trust proxy', trust);
      app.get('/', (req, res) => res.send(req.ip));
      const server = app.listen(0, '127.0.0.1');
      await new Promise((resolve) => server.once('listening', resolve));
      servers.push(server);
      urls.set(String(trust), (server.address() as AddressInfo).port);
    }
  });
  afterAll(() => servers.forEach((s) => s.close()));

  const expressIp = (port: number, xff: string | undefined) =>
    new Promise<string>((resolve, reject) => {
      const req = request({ host: '127.0.0.1', port, path: '/', headers: xff === undefined ? {} : { 'x-forwarded-for': xff } }, (res) => {
        let body = '';
        res.on('data', (d: Buffer) => (body += d.toString()));
        res.on('end', () => resolve(body));
      });
      req.on('error', reject);
      req.end();
    });

  for (const trust of TRUST) {
    it.each(CHAINS.map((c) => [c ?? '(none)', c]))(`trust proxy ${trust}, X-Forwarded-For %s`, async (_label, chain) => {
      expect(clientAddress('127.0.0.1', chain, trust)).toBe(await expressIp(urls.get(String(trust))!, chain));
    });
  }
});

describe('addressKey', () => {
  const req = (remoteAddress: string, xff?: string) => ({ socket: { remoteAddress }, headers: xff === undefined ? {} : { 'x-forwarded-for': xff } }) as unknown as IncomingMessage;

  it('groups IPv6 addresses by /56 and unwraps IPv4-mapped ones, as the HTTP rate limit does', () => {
    expect(addressKey(req('2001:db8:1:2aa:1::1'), false)).toBe(addressKey(req('2001:db8:1:2ff:ffff::9'), false));
    expect(addressKey(req('2001:db8:1:2aa::1'), false)).not.toBe(addressKey(req('2001:db8:1:300::1'), false));
    expect(addressKey(req('::ffff:203.0.113.7'), false)).toBe('203.0.113.7');
  });

  it('believes X-Forwarded-For only with trust proxy, and bounds what it keeps', () => {
    expect(addressKey(req('127.0.0.1', '203.0.113.7'), false)).toBe('127.0.0.1');
    expect(addressKey(req('127.0.0.1', '203.0.113.7'), 1)).toBe('203.0.113.7');
    expect(addressKey(req('127.0.0.1', 'x'.repeat(500)), 1)).toHaveLength(64);
    expect(addressKey(req('127.0.0.1', 'fe80::1%eth0'), 1)).toMatch(/^fe80/);
  });
});
