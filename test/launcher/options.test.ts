// npm start's command line: every server flag still works, --demo-devices is the launcher's, and bad values are one
// clear line naming the flag.
import { describe, expect, it } from 'vitest';
import { ConfigError, usage } from '../../server/config';
import { DEFAULT_DEMO_DEVICES, demoRefusal, launchUsage, MAX_DEMO_DEVICES, parseLaunch, withDemoHeadroom } from '../../launcher/options';

const parse = (argv: string[], env: Record<string, string> = {}) => parseLaunch(argv, env, '/tmp');

describe('parseLaunch', () => {
  it('takes --demo-devices out and gives the rest to the server\'s parser', () => {
    const r = parse(['--port', '9001', '--demo-devices', '7', '--round-interval', '5']);
    expect(r).toMatchObject({ help: false, demoDevices: 7, demoDevicesGiven: true, config: { port: 9001, roundIntervalSeconds: 5 } });
    expect(parse(['--demo-devices=0'])).toMatchObject({ demoDevices: 0 });
  });

  it('defaults to the documented fleet, and reads CONFIDANT_DEMO_DEVICES', () => {
    expect(parse([])).toMatchObject({ demoDevices: DEFAULT_DEMO_DEVICES, demoDevicesGiven: false });
    expect(parse([], { CONFIDANT_DEMO_DEVICES: '20' })).toMatchObject({ demoDevices: 20, demoDevicesGiven: true });
    expect(parse(['--demo-devices', '3'], { CONFIDANT_DEMO_DEVICES: '20' })).toMatchObject({ demoDevices: 3 });
  });

  it.each([
    [['--demo-devices', 'many'], '--demo-devices must be an integer in 0..610'],
    [['--demo-devices', String(MAX_DEMO_DEVICES + 1)], '--demo-devices must be an integer in 0..610'],
    [['--demo-devices'], "option '--demo-devices <value>' argument missing"],
    [['--port', 'http'], '--port must be an integer in 0..65535, got "http"'],
    [['--no-such-flag'], "Unknown option '--no-such-flag'"],
  ])('%j is refused: %s', (argv, message) => {
    expect(() => parse(argv)).toThrow(ConfigError);
    expect(() => parse(argv)).toThrow(message);
  });

  it('--help is the server\'s usage followed by the launcher\'s flag', () => {
    expect(parse(['--help'])).toEqual({ help: true });
    expect(parse(['--demo-devices', '3', '--help'])).toEqual({ help: true });
    const text = launchUsage();
    expect(text.startsWith(usage())).toBe(true);
    expect(text).toContain(`--demo-devices N`);
    expect(text).toContain(`default ${DEFAULT_DEMO_DEVICES}`);
  });

  it('the demo fleet runs only under open enrollment', () => {
    const { config } = parse([]) as { config: Parameters<typeof demoRefusal>[0] };
    expect(demoRefusal(config)).toBeUndefined();
    expect(demoRefusal({ ...config, enrollment: 'open' })).toBeUndefined();
    expect(demoRefusal({ ...config, enrollment: 'token' })).toMatch(/only under the open enrollment policy \(this server's is token\)/);
    expect(demoRefusal((parse(['--enrollment', 'token']) as { config: typeof config }).config)).toMatch(/only under the open enrollment policy/);
  });

  it('the demo fleet\'s devices are added to the per-address limits (they all connect from this machine); no limit stays none', () => {
    const { config } = parse(['--max-connections-per-address', '10', '--registrations-per-hour', '0']) as { config: Parameters<typeof withDemoHeadroom>[0] };
    expect(withDemoHeadroom(config, 48).wsLimits).toEqual({ ...config.wsLimits, maxConnectionsPerAddress: 58, registrationsPerAddressPerHour: 0 });
    expect(withDemoHeadroom(config, 0)).toBe(config);
  });
});
