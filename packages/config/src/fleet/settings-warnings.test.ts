import { FLEET_DEFAULTS, MAX_DEADLINE_SEC } from './fleet-defaults';
import { resolveFleetSettings } from './resolve-fleet-settings';
import { fleetSettingsWarnings } from './settings-warnings';

const settings = (env: Record<string, string>) => resolveFleetSettings({ flags: {}, env, role: 'cli', cwd: '/', homeDir: '/home/x' });

describe('fleetSettingsWarnings', () => {
  it('says nothing about the defaults or deadlines up to the cap', () => {
    expect(fleetSettingsWarnings(settings({}))).toEqual([]);
    expect(fleetSettingsWarnings(settings({ AVFLEET_MILTER_DEADLINE: String(MAX_DEADLINE_SEC), AVFLEET_CLAMD_DEADLINE: '5m' }))).toEqual([]);
    expect(FLEET_DEFAULTS.milter.deadlineSec).toBeLessThanOrEqual(MAX_DEADLINE_SEC);
    expect(FLEET_DEFAULTS.clamdDeadlineSec).toBeLessThanOrEqual(MAX_DEADLINE_SEC);
  });

  it('warns (AVF_WARN_DEADLINE_CAPPED) about a milter or clamd deadline over the cap, naming the setting and what the front end does instead', () => {
    const w = fleetSettingsWarnings(settings({ AVFLEET_MILTER_DEADLINE: '600', AVFLEET_CLAMD_DEADLINE: '1h' }));
    expect(w).toEqual([
      { code: 'AVF_WARN_DEADLINE_CAPPED', position: null, message: expect.stringMatching(/^AVFLEET_MILTER_DEADLINE is 600 s, over the 300 s .*the milter answers by 300 s/) },
      { code: 'AVF_WARN_DEADLINE_CAPPED', position: null, message: expect.stringMatching(/^AVFLEET_CLAMD_DEADLINE is 3600 s, over the 300 s .*the clamd front end answers by 300 s/) },
    ]);
    expect(fleetSettingsWarnings(settings({ AVFLEET_MILTER_DEADLINE: '300.5' }))).toHaveLength(1);
  });
});
