import { describe, expect, it } from 'vitest';
import { createLifecycle } from './lifecycle.ts';
import { createLogger } from './logger.ts';

describe('lifecycle', () => {
  it('stops the parts in reverse order, each awaited, and goes on past a stop that throws', async () => {
    const life = createLifecycle({ logger: createLogger({ level: 'silent' }) });
    const order: string[] = [];
    life.started('a', () => order.push('a'));
    life.started('b', () => {
      throw new Error('b failed');
    });
    life.started('c', async () => {
      await Promise.resolve();
      order.push('c');
    });
    await life.stop();
    expect(order).toEqual(['c', 'a']);
    await life.stop();
    expect(order).toEqual(['c', 'a']);
    expect(() => life.started('d', () => undefined)).toThrow(/after the stop began/);
  });
});
