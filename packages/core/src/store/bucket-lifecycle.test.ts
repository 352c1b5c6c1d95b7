import { avfleetLifecycleRules, expirationDays, uncoveredPrefixes } from './bucket-lifecycle';

describe('uncoveredPrefixes', () => {
  const exp = { Days: 3 };

  it('none covered without a configuration', () => {
    expect(uncoveredPrefixes(null, '')).toEqual(['messages/', 'parts/']);
    expect(uncoveredPrefixes({}, 'avf/')).toEqual(['avf/messages/', 'avf/parts/']);
  });

  it("avfleet's own rules cover both, under any key prefix", () => {
    for (const prefix of ['', 'avf/', 'a/b/']) {
      expect(uncoveredPrefixes({ Rule: avfleetLifecycleRules(prefix, 3) }, prefix)).toEqual([]);
    }
  });

  it('a whole-bucket or parent-prefix rule covers; a sibling prefix, a disabled rule, a tag filter or no expiration does not', () => {
    expect(uncoveredPrefixes({ Rule: { ID: 'all', Status: 'Enabled', Filter: { Prefix: '' }, Expiration: exp } }, 'avf/')).toEqual([]);
    expect(uncoveredPrefixes({ Rule: [{ ID: 'p', Status: 'Enabled', Prefix: 'avf/', Expiration: exp }] }, 'avf/')).toEqual([]);
    expect(uncoveredPrefixes({ Rule: [{ ID: 'm', Status: 'Enabled', Filter: { Prefix: 'avf/messages/' }, Expiration: exp }] }, 'avf/')).toEqual(['avf/parts/']);
    expect(uncoveredPrefixes({ Rule: [{ ID: 'x', Status: 'Enabled', Filter: { Prefix: 'other/' }, Expiration: exp }] }, 'avf/')).toEqual(['avf/messages/', 'avf/parts/']);
    expect(uncoveredPrefixes({ Rule: [{ ID: 'd', Status: 'Disabled', Filter: { Prefix: '' }, Expiration: exp }] }, '')).toEqual(['messages/', 'parts/']);
    expect(uncoveredPrefixes({ Rule: [{ ID: 't', Status: 'Enabled', Filter: { Prefix: '', Tag: { Key: 'k', Value: 'v' } }, Expiration: exp }] }, '')).toEqual(['messages/', 'parts/']);
    expect(uncoveredPrefixes({ Rule: [{ ID: 'n', Status: 'Enabled', Filter: { Prefix: '' } }] }, '')).toEqual(['messages/', 'parts/']);
    expect(uncoveredPrefixes({ Rule: [{ ID: 'a', Status: 'Enabled', Filter: { And: { Prefix: 'messages/' } }, Expiration: exp }] }, '')).toEqual(['parts/']);
  });
});

describe('expirationDays', () => {
  it('rounds up to whole days, at least one', () => {
    expect(expirationDays(3 * 86400)).toBe(3);
    expect(expirationDays(3 * 86400 + 1)).toBe(4);
    expect(expirationDays(60)).toBe(1);
  });
});
