import { CLUSTER_SLOTS, keySlot, laneQueuePrefixes } from './queue-lanes';

describe('keySlot', () => {
  it('is Redis Cluster\'s slot: CRC16/XMODEM of the key, or of its first non-empty hash tag, modulo 16384', () => {
    expect(keySlot('123456789')).toBe(0x31c3 % CLUSTER_SLOTS); // the CRC16/XMODEM check value
    expect(keySlot('foo')).toBe(12182); // CLUSTER KEYSLOT foo
    expect(keySlot('{user1000}.following')).toBe(keySlot('user1000'));
    expect(keySlot('foo{}{bar}')).toBe(keySlot('foo{}{bar}')); // an empty first tag: the whole key
    expect(keySlot('foo{}{bar}')).not.toBe(keySlot('bar'));
    expect(keySlot('foo{{bar}}zap')).toBe(keySlot('{bar'));
  });
});

describe('laneQueuePrefixes', () => {
  it('one lane on one Redis keeps the plain prefix: the key names of a fleet without lanes', () => {
    expect(laneQueuePrefixes('avfleet', 1, false)).toEqual(['avfleet']);
  });

  it('gives each lane its own hash tag, in the middle half of its share of the slots, the same in every process', () => {
    for (const n of [1, 2, 3, 6, 8]) {
      const prefixes = laneQueuePrefixes('avfleet', n, true);
      expect(prefixes).toHaveLength(n);
      expect(new Set(prefixes).size).toBe(n);
      prefixes.forEach((p, i) => {
        expect(p).toMatch(/^\{avfleet-\d+\}$/);
        const width = CLUSTER_SLOTS / n;
        expect(keySlot(`${p}:clamav:wait`)).toBeGreaterThanOrEqual(i * width + width / 4);
        expect(keySlot(`${p}:clamav:wait`)).toBeLessThan((i + 1) * width - width / 4);
      });
      expect(laneQueuePrefixes('avfleet', n, true)).toEqual(prefixes);
    }
    // Several lanes on one Redis are tagged the same way; braces of the prefix do not nest.
    expect(laneQueuePrefixes('avfleet', 2, false)).toEqual(laneQueuePrefixes('avfleet', 2, true));
    expect(laneQueuePrefixes('{fleet}', 2, true)[0]).toMatch(/^\{fleet-\d+\}$/);
  });
});
