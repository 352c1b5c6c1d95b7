import { UpstreamList, type ServerEntry, type ServerList } from './upstream-list';

const tcp = (port: number, priority = 0): ServerEntry => ({ kind: 'tcp', host: '10.0.0.1', port, priority });
const list = (entries: ServerEntry[], strategy: ServerList['strategy'] = 'round-robin', explicitStrategy = false): ServerList => ({
  strategy,
  explicitStrategy,
  entries,
});

function clock(start = 1_000_000) {
  let t = start;
  return { now: () => t, advance: (ms: number) => (t += ms) };
}

/** Fails `u` once per second for `count` seconds (the rate that takes a server out: > 4 per 10 s). */
function failRepeatedly(ul: UpstreamList, name: string, c: ReturnType<typeof clock>, count: number): void {
  const u = ul.all.find((x) => x.name === name)!;
  for (let i = 0; i < count; i++) {
    ul.markFailure(u);
    c.advance(1000);
  }
}

describe('UpstreamList', () => {
  it('round-robin without priorities spreads picks over all servers', () => {
    const ul = new UpstreamList(list([tcp(1), tcp(2), tcp(3)]));
    const names = Array.from({ length: 6 }, () => ul.pick()!.name);
    expect(names.slice(0, 3).sort()).toEqual(['10.0.0.1:1', '10.0.0.1:2', '10.0.0.1:3']);
    expect(names.slice(3).sort()).toEqual(['10.0.0.1:1', '10.0.0.1:2', '10.0.0.1:3']);
  });

  it('round-robin with priorities picks in proportion to them', () => {
    const ul = new UpstreamList(list([tcp(1, 3), tcp(2, 1)]));
    const names = Array.from({ length: 8 }, () => ul.pick()!.name);
    expect(names.filter((n) => n === '10.0.0.1:1')).toHaveLength(6);
    expect(names.filter((n) => n === '10.0.0.1:2')).toHaveLength(2);
  });

  it('master-slave uses the first listed server while it is alive, the next one after it is taken out', () => {
    const c = clock();
    const ul = new UpstreamList(list([tcp(1), tcp(2), tcp(3)], 'master-slave', true), { now: c.now, random: () => 0.5 });
    expect(Array.from({ length: 4 }, () => ul.pick()!.name)).toEqual(Array(4).fill('10.0.0.1:1'));
    failRepeatedly(ul, '10.0.0.1:1', c, 11);
    expect(ul.pick()!.name).toBe('10.0.0.1:2');
  });

  it('master-slave honours explicit priorities', () => {
    const ul = new UpstreamList(list([tcp(1, 1), tcp(2, 10)], 'master-slave', true));
    expect(ul.pick()!.name).toBe('10.0.0.1:2');
  });

  it('random picks only alive servers', () => {
    const c = clock();
    const ul = new UpstreamList(list([tcp(1), tcp(2)], 'random', true), { now: c.now, random: () => 0.5 });
    failRepeatedly(ul, '10.0.0.1:2', c, 11);
    for (let i = 0; i < 5; i++) expect(ul.pick()!.name).toBe('10.0.0.1:1');
  });

  it('prefers a different alive server on retry, and falls back to the same one when alone', () => {
    const ul = new UpstreamList(list([tcp(1), tcp(2)], 'master-slave', true));
    const first = ul.pick()!;
    expect(ul.pick(first)!.name).toBe('10.0.0.1:2');
    const single = new UpstreamList(list([tcp(9)]));
    const only = single.pick()!;
    expect(single.pick(only)).toBe(only);
  });

  it('takes a server out after more than 4 errors per 10 s, and not before the window has passed', () => {
    const c = clock();
    const ul = new UpstreamList(list([tcp(1), tcp(2)]), { now: c.now, random: () => 0.5 });
    const u = ul.all[0]!;
    for (let i = 0; i < 10; i++) {
      ul.markFailure(u);
      c.advance(900);
    }
    expect(ul.alive()).toContain(u); // 10 errors in 8.1 s: window not yet complete
    c.advance(1000);
    ul.markFailure(u); // 11 errors over 10 s = 1.1/s > 0.4/s
    expect(ul.alive()).not.toContain(u);
  });

  it('restarts the count when the window passes without exceeding the rate', () => {
    const c = clock();
    const ul = new UpstreamList(list([tcp(1), tcp(2)]), { now: c.now });
    const u = ul.all[0]!;
    ul.markFailure(u);
    c.advance(5000);
    ul.markFailure(u);
    c.advance(6000);
    ul.markFailure(u); // 3 errors in 11 s: below the rate
    expect(u.errors).toBe(1);
    expect(ul.alive()).toContain(u);
  });

  it('a success clears the recent errors', () => {
    const c = clock();
    const ul = new UpstreamList(list([tcp(1), tcp(2)]), { now: c.now });
    const u = ul.all[0]!;
    failRepeatedly(ul, u.name, c, 5);
    ul.markSuccess(u);
    expect(u.errors).toBe(0);
    failRepeatedly(ul, u.name, c, 6);
    expect(ul.alive()).toContain(u);
  });

  it('revives a server after revive_time with ±40 % jitter', () => {
    for (const [rnd, reviveMs] of [
      [0, 36_000],
      [0.5, 60_000],
      [0.999999, 84_000],
    ] as const) {
      const c = clock();
      const ul = new UpstreamList(list([tcp(1), tcp(2)]), { now: c.now, random: () => rnd });
      failRepeatedly(ul, '10.0.0.1:1', c, 11);
      const u = ul.all[0]!;
      const outAt = c.now() - 1000;
      expect(ul.alive()).not.toContain(u);
      c.advance(outAt + reviveMs - c.now() - 5);
      expect(ul.alive()).not.toContain(u);
      c.advance(10);
      expect(ul.alive()).toContain(u);
    }
  });

  it('uses the injected health settings', () => {
    const c = clock();
    const ul = new UpstreamList(list([tcp(1), tcp(2)]), { now: c.now, random: () => 0.5, errorTimeSec: 2, maxErrors: 1, reviveTimeSec: 5 });
    failRepeatedly(ul, '10.0.0.1:1', c, 3); // 3 errors over 2 s = 1.5/s > 0.5/s
    expect(ul.alive().map((u) => u.name)).toEqual(['10.0.0.1:2']);
    c.advance(5000);
    expect(ul.alive()).toHaveLength(2);
  });

  it('never takes the only server of a one-server list out', () => {
    const c = clock();
    const ul = new UpstreamList(list([tcp(1)]), { now: c.now });
    failRepeatedly(ul, '10.0.0.1:1', c, 60);
    expect(ul.pick()!.name).toBe('10.0.0.1:1');
    expect(ul.isReady()).toBe(true);
  });

  it('answers null when every server is out, then lets a probe through; a failed probe is out again at once', () => {
    const c = clock();
    const ul = new UpstreamList(list([tcp(1), tcp(2)]), { now: c.now, random: () => 0.5 });
    failRepeatedly(ul, '10.0.0.1:1', c, 11);
    failRepeatedly(ul, '10.0.0.1:2', c, 11);
    expect(ul.pick()).toBeNull();
    expect(ul.isReady()).toBe(false);
    c.advance(61_000);
    const probe = ul.pick()!;
    expect(probe).not.toBeNull();
    ul.markFailure(probe);
    expect(ul.alive()).not.toContain(probe);
    const other = ul.pick()!;
    ul.markSuccess(other);
    ul.markFailure(other); // healthy again: one error does not take it out
    expect(ul.alive()).toContain(other);
  });

  it('adds SRV targets once they resolve; until then the list has no server', async () => {
    const lookups: string[] = [];
    const ul = new UpstreamList(list([{ kind: 'srv', service: 'clamd', domain: 'example.com', priority: 0 }]), {
      resolveSrv: async (name) => {
        lookups.push(name);
        return [{ name: 'av1.example.com', port: 3310, priority: 0, weight: 0 }];
      },
    });
    expect(ul.pick()).toBeNull();
    await ul.dnsSettled();
    expect(lookups).toEqual(['_clamd._tcp.example.com']);
    expect(ul.pick()!.name).toBe('av1.example.com:3310');
  });
});
