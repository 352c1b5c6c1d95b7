import type { ConfigWarning } from '../errors';
import { MAX_DEADLINE_SEC } from './fleet-defaults';
import type { FleetSettings } from './fleet-settings';

/**
 * What `avfleet config check` and every producer start-up say about settings that are valid
 * but do not do what they seem to. `AVF_WARN_DEADLINE_CAPPED`: a milter or clamd deadline over
 * MAX_DEADLINE_SEC is answered by MAX_DEADLINE_SEC (every wait is capped there), so the MTA or
 * clamd client would be told a longer wait than it gets.
 */
export function fleetSettingsWarnings(settings: Pick<FleetSettings, 'clamdDeadlineSec' | 'milter'>): ConfigWarning[] {
  const warnings: ConfigWarning[] = [];
  const capped = (name: string, sec: number, frontEnd: string): void => {
    if (sec <= MAX_DEADLINE_SEC) return;
    warnings.push({
      code: 'AVF_WARN_DEADLINE_CAPPED',
      message: `${name} is ${sec} s, over the ${MAX_DEADLINE_SEC} s every answer is capped to: the ${frontEnd} answers by ${MAX_DEADLINE_SEC} s; set ${name} to ${MAX_DEADLINE_SEC} s or less`,
      position: null,
    });
  };
  capped('AVFLEET_MILTER_DEADLINE', settings.milter.deadlineSec, 'milter');
  capped('AVFLEET_CLAMD_DEADLINE', settings.clamdDeadlineSec, 'clamd front end');
  return warnings;
}
