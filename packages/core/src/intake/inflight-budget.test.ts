import { Registry } from 'prom-client';
import { createFleetMetrics } from '../observe/fleet-metrics';
import { BUSY_RETRY_AFTER_SEC, InflightBudget, busyError } from './inflight-budget';

const metricsOf = () => createFleetMetrics(new Registry(), { defaultMetrics: false });

describe('InflightBudget: one byte budget per producer process', () => {
  it('reserves as bytes arrive, refuses past the budget, and gives everything back once', async () => {
    const metrics = metricsOf();
    const budget = new InflightBudget(1000, metrics);
    const a = budget.open();
    const b = budget.open();
    expect(a.take(600)).toBe(true);
    expect(b.take(300)).toBe(true);
    expect(b.take(200)).toBe(false); // 1100 > 1000: nothing more reserved
    expect(budget.reserved).toBe(900);
    expect((await metrics.inflightBytes.get()).values[0].value).toBe(900);
    a.release();
    a.release(); // twice: nothing more given back
    expect(budget.reserved).toBe(300);
    expect(a.take(1)).toBe(false); // a released reservation takes nothing (not a refusal of a client)
    b.release();
    expect(budget.reserved).toBe(0);
    expect((await metrics.inflightBytes.get()).values[0].value).toBe(0);
    expect((await metrics.rejectedRequests.get()).values).toEqual([expect.objectContaining({ labels: { reason: 'busy' }, value: 1 })]);
  });

  it('refuses early from a declared length that cannot fit beside what is held', () => {
    const budget = new InflightBudget(1000);
    const r = budget.open();
    r.take(400);
    expect(budget.wouldRefuse(600)).toBe(false);
    expect(budget.wouldRefuse(601)).toBe(true);
    expect(budget.reserved).toBe(400); // the hint reserves nothing
  });

  it('refuses with a typed AVF_ERR_BUSY that says when to retry', () => {
    expect(busyError(new InflightBudget(5))).toMatchObject({ code: 'AVF_ERR_BUSY', retryAfterSec: BUSY_RETRY_AFTER_SEC });
  });
});
