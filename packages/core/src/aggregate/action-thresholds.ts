import type { FleetSettings } from '@avfleet/config';
import type { ActionThresholds } from './aggregate-types';

/** AVFLEET_ACTIONS → the aggregation's thresholds; an action left out is never reached by score. */
export function toActionThresholds(actions: FleetSettings['actions']): ActionThresholds {
  return {
    reject: actions.reject ?? Number.POSITIVE_INFINITY,
    'add header': actions['add header'] ?? Number.POSITIVE_INFINITY,
    greylist: actions.greylist ?? Number.POSITIVE_INFINITY,
    ...(actions['rewrite subject'] !== undefined ? { 'rewrite subject': actions['rewrite subject'] } : {}),
  };
}

/** Thresholds as Rspamd's /checkv2 reply lists them (finite ones only). */
export function thresholdsForReply(actions: FleetSettings['actions']): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [k, v] of Object.entries(actions)) if (typeof v === 'number' && Number.isFinite(v)) out[k] = v;
  return out;
}
