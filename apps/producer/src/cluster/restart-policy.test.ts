import { RestartPolicy } from './restart-policy';

const opts = { quickExitMs: 10_000, maxQuickExits: 4, baseDelayMs: 1000, maxDelayMs: 3000 };

describe('RestartPolicy', () => {
  it('restarts a child that lived long at once, every time', () => {
    const p = new RestartPolicy(opts);
    for (let i = 0; i < 10; i++) expect(p.onUnexpectedExit(60_000, true)).toEqual({ action: 'restart', delayMs: 0 });
  });

  it('backs off quick exits (doubling, capped) and gives up after maxQuickExits in a row', () => {
    const p = new RestartPolicy(opts);
    expect(p.onUnexpectedExit(500, true)).toEqual({ action: 'restart', delayMs: 1000 });
    expect(p.onUnexpectedExit(9_999, true)).toEqual({ action: 'restart', delayMs: 2000 });
    expect(p.onUnexpectedExit(200, false)).toEqual({ action: 'restart', delayMs: 3000 });
    expect(p.onUnexpectedExit(200, true)).toEqual({ action: 'give-up', quickExits: 4 });
  });

  it('counts a child that never became ready as quick, however long it ran', () => {
    const p = new RestartPolicy({ ...opts, maxQuickExits: 2 });
    expect(p.onUnexpectedExit(600_000, false)).toEqual({ action: 'restart', delayMs: 1000 });
    expect(p.onUnexpectedExit(600_000, false)).toEqual({ action: 'give-up', quickExits: 2 });
  });

  it('a long-lived child resets the count of quick exits', () => {
    const p = new RestartPolicy(opts);
    for (let i = 0; i < 3; i++) p.onUnexpectedExit(100, true);
    expect(p.onUnexpectedExit(20_000, true)).toEqual({ action: 'restart', delayMs: 0 });
    expect(p.onUnexpectedExit(100, true)).toEqual({ action: 'restart', delayMs: 1000 });
  });
});
