import { UpstreamList, type ServerEntry } from './upstream-list';

const tcp = (port: number): ServerEntry => ({ kind: 'tcp', host: '10.0.0.1', port, priority: 0 });

/** downCount() feeds avfleet_upstream_servers_down: it must count servers out of rotation and change nothing. */
describe('UpstreamList.downCount', () => {
  it('counts a server taken out, and stops counting it once its revive time has passed, without reviving it itself', () => {
    let t = 1_000_000;
    const ul = new UpstreamList(
      { strategy: 'round-robin', explicitStrategy: false, entries: [tcp(1), tcp(2)] },
      { now: () => t, random: () => 0.5, reviveTimeSec: 60 },
    );
    expect(ul.downCount()).toBe(0);
    const u = ul.all[0]!;
    for (let i = 0; i < 12; i++) {
      ul.markFailure(u);
      t += 1000;
    }
    expect(ul.downCount()).toBe(1);
    expect(ul.downCount()).toBe(1); // reading twice changes nothing
    expect(u.deadUntil).toBeGreaterThan(t);
    t += 61_000; // random 0.5 → no jitter: revive after exactly 60 s
    expect(ul.downCount()).toBe(0);
    expect(u.probing).toBe(false); // only alive() turns it into a probe
  });

  it('never counts the only server (a single server is not taken out)', () => {
    let t = 0;
    const ul = new UpstreamList({ strategy: 'round-robin', explicitStrategy: false, entries: [tcp(1)] }, { now: () => t });
    for (let i = 0; i < 20; i++) {
      ul.markFailure(ul.all[0]!);
      t += 1000;
    }
    expect(ul.downCount()).toBe(0);
  });
});
