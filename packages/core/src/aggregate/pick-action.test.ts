import { pickAction, rejectThreshold, scoreAction, thresholdOf } from './pick-action';
import type { ActionThresholds } from '@avfleet/config';
import type { PreResult } from './aggregate-types';

const T: ActionThresholds = { reject: 15, 'add header': 6, greylist: 4 };
const pre = (action: PreResult['action'], module = 'r', least = action !== 'reject'): PreResult => ({
  action,
  message: `${module}: ${action}`,
  module,
  least,
});

describe('scoreAction', () => {
  it.each([
    [0, 'no action'],
    [4, 'greylist'],
    [5.9, 'greylist'],
    [6, 'add header'],
    [15, 'reject'],
    [100, 'reject'],
  ])('%p → %s', (score, action) => {
    expect(scoreAction(score, T).action).toBe(action);
  });

  it('uses rewrite subject when it has a threshold', () => {
    expect(scoreAction(9, { ...T, 'rewrite subject': 8 }).action).toBe('rewrite subject');
  });
});

describe('pickAction', () => {
  it('takes the score-based action without pre-results', () => {
    expect(pickAction([], 7, T)).toEqual({ action: 'add header', score: 7, message: null, forcedBy: null });
  });

  it('takes the first final pre-result, score unchanged', () => {
    expect(pickAction([pre('add header', 'a'), pre('reject', 'b'), pre('reject', 'c')], 0, T)).toEqual({
      action: 'reject',
      score: 0,
      message: 'b: reject',
      forcedBy: 'b',
    });
  });

  it('raises the score to the floor threshold when the floor wins', () => {
    expect(pickAction([pre('add header', 'a')], 0, T)).toEqual({ action: 'add header', score: 6, message: 'a: add header', forcedBy: 'a' });
    expect(pickAction([pre('add header', 'a')], 8, T)).toMatchObject({ action: 'add header', score: 8 });
  });

  it('lets a stronger score-based action win over the floor', () => {
    expect(pickAction([pre('greylist')], 7, T)).toEqual({ action: 'add header', score: 7, message: null, forcedBy: null });
    expect(pickAction([pre('add header')], 20, T)).toMatchObject({ action: 'reject', message: null });
  });

  it('takes the strongest "at least" pre-result, not merely the first', () => {
    expect(pickAction([pre('greylist', 'a'), pre('add header', 'b'), pre('greylist', 'c')], 0, T)).toEqual({
      action: 'add header',
      score: 6,
      message: 'b: add header',
      forcedBy: 'b',
    });
  });

  it('applies soft reject (no threshold) unless the score gives reject, score unchanged', () => {
    expect(pickAction([pre('soft reject')], 7, T)).toEqual({ action: 'soft reject', score: 7, message: 'r: soft reject', forcedBy: 'r' });
    expect(pickAction([pre('soft reject')], 16, T)).toEqual({ action: 'reject', score: 16, message: null, forcedBy: null });
  });

  it('treats a rewrite subject floor without threshold like soft reject', () => {
    expect(pickAction([pre('rewrite subject')], 7, T)).toMatchObject({ action: 'rewrite subject', score: 7 });
  });
});

describe('AVFLEET_ACTIONS read as configured', () => {
  it('counts reject, add header and greylist left out as +∞, rewrite subject and soft reject as no threshold', () => {
    const onlyGreylist: ActionThresholds = { greylist: 4 };
    expect(thresholdOf('reject', onlyGreylist)).toBe(Number.POSITIVE_INFINITY);
    expect(thresholdOf('add header', onlyGreylist)).toBe(Number.POSITIVE_INFINITY);
    expect(thresholdOf('greylist', onlyGreylist)).toBe(4);
    expect(thresholdOf('rewrite subject', onlyGreylist)).toBeUndefined();
    expect(thresholdOf('soft reject', { ...T, 'soft reject': 12 })).toBeUndefined();
    expect(scoreAction(100, onlyGreylist).action).toBe('greylist');
    expect(scoreAction(13, { ...T, 'soft reject': 12 }).action).toBe('add header');
  });

  it('gives the reject threshold, +∞ when it is not set', () => {
    expect(rejectThreshold(T)).toBe(15);
    expect(rejectThreshold({ greylist: 4 })).toBe(Number.POSITIVE_INFINITY);
  });

  it('applies a floor whose action has no configured threshold as before (score raised to +∞)', () => {
    expect(pickAction([pre('greylist', 'a')], 1, { reject: 15 })).toEqual({ action: 'greylist', score: Number.POSITIVE_INFINITY, message: 'a: greylist', forcedBy: 'a' });
    expect(pickAction([pre('rewrite subject', 'a')], 1, T)).toEqual({ action: 'rewrite subject', score: 1, message: 'a: rewrite subject', forcedBy: 'a' });
  });
});
