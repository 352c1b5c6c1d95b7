import { cancelledKey, resultKey } from './queue-names';

/** What Redis Cluster hashes for a key: its hash tag (first `{`, up to the next `}`, not empty), else the whole key. */
function hashedPart(key: string): string {
  const open = key.indexOf('{');
  const close = open < 0 ? -1 : key.indexOf('}', open + 1);
  return close > open + 1 ? key.slice(open + 1, close) : key;
}

describe('result and cancel-mark keys', () => {
  it.each(['avfleet', 'avft-outage', '{avfleet}', 'mail{eu}', 'a.b_c'])('share a Redis Cluster hash slot under prefix %s', (prefix) => {
    const id = '01JF2ZC8W7Q5R4T3Y2X1V0B9N8';
    expect(hashedPart(cancelledKey(prefix, id))).toBe(hashedPart(resultKey(prefix, id)));
    expect(cancelledKey(prefix, id)).not.toBe(resultKey(prefix, id));
    expect(cancelledKey(prefix, id)).toContain(id);
  });

  it('spread over slots by scan id when the prefix has no hash tag (results are not all on one master)', () => {
    expect(hashedPart(cancelledKey('avfleet', 'a'))).not.toBe(hashedPart(cancelledKey('avfleet', 'b')));
  });
});
