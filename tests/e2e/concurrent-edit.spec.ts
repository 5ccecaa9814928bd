// @vitest-environment node
/**
 * Two analysts set the same field at once, one of them offline: the document keeps one value,
 * the one whose value lost is told so on their own change in the timeline (field-conflicts.ts),
 * naming the field and the value that replaced theirs, and the losing value stays in the
 * timeline as a field change for everyone. Which value the merge keeps is Yjs's choice (by
 * client id), so the test reads who lost instead of assuming it.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { APIRequestContext, Browser } from 'playwright-core';
import { adminRequest, createIncidentViaUi, launchBrowser, newAnalyst, type Analyst } from './browser.ts';

describe('concurrent edit of one field', () => {
  let browser: Browser;
  let admin: APIRequestContext;
  let alice: Analyst;
  let bob: Analyst;

  beforeAll(async () => {
    browser = await launchBrowser();
    admin = await adminRequest();
    alice = await newAnalyst(browser, admin, 'Alice Concurrent');
    bob = await newAnalyst(browser, admin, 'Bob Concurrent');
  });
  afterAll(async () => {
    await admin?.dispose();
    await browser?.close();
  });

  const severityOf = (who: Analyst): Promise<string> => who.page.getByTestId('field-severity').inputValue();
  const pending = async (who: Analyst): Promise<number> => Number(await who.page.getByTestId('pending-count').textContent());

  it('tells the analyst whose value lost which value replaced it, and keeps the losing value in the timeline', async () => {
    const title = `Concurrent severity ${Date.now()}`;
    const id = await createIncidentViaUi(alice.page, title, 'S3');
    await expect.poll(() => pending(alice), { timeout: 30_000 }).toBe(0);
    await bob.page.goto(`/incidents/${id}`);
    await expect.poll(() => severityOf(bob), { timeout: 30_000 }).toBe('S3');

    // Bob goes offline and raises the severity; Alice, online, sets another one after him.
    await bob.context.setOffline(true);
    await expect.poll(() => bob.page.getByTestId('connection-state').textContent(), { timeout: 15_000 }).toMatch(/offline/i);
    await bob.page.getByTestId('field-severity').selectOption('S1');
    await bob.page.getByTestId('timeline-entry').filter({ hasText: 'Severity changed from S3 to S1' }).first().waitFor({ timeout: 10_000 });
    await alice.page.getByTestId('field-severity').selectOption('S2');
    await alice.page.getByTestId('timeline-entry').filter({ hasText: 'Severity changed from S3 to S2' }).first().waitFor({ timeout: 10_000 });
    await expect.poll(() => pending(alice), { timeout: 30_000 }).toBe(0);

    await bob.context.setOffline(false);
    await expect.poll(() => pending(bob), { timeout: 45_000 }).toBe(0);
    // Both devices converge on one value.
    await expect.poll(async () => [await severityOf(alice), await severityOf(bob)].join(' '), { timeout: 30_000 }).toMatch(/^(S1 S1|S2 S2)$/);
    const kept = await severityOf(alice);
    const [winner, loser, lostValue] = kept === 'S1' ? [bob, alice, 'S2'] : [alice, bob, 'S1'];

    // The loser is told, on their own change: the field and the value that replaced theirs.
    const notice = loser.page.getByTestId('timeline-lost-edit');
    await notice.first().waitFor({ timeout: 30_000 });
    expect(await notice.count()).toBe(1);
    const text = (await notice.first().textContent()) ?? '';
    expect(text).toContain(`Your value ${lostValue} was not kept`);
    expect(text).toContain(`a concurrent edit by ${winner.name} set Severity to ${kept}`);
    // The winner is not told anything lost.
    await winner.page
      .getByTestId('timeline-entry')
      .filter({ hasText: `Severity changed from S3 to ${lostValue}` })
      .first()
      .waitFor({ timeout: 30_000 });
    expect(await winner.page.getByTestId('timeline-lost-edit').count()).toBe(0);

    // The losing value is in the timeline as a field change, for both of them and in the API.
    for (const who of [alice, bob]) {
      await who.page
        .getByTestId('timeline-entry')
        .filter({ hasText: `Severity changed from S3 to ${lostValue}` })
        .first()
        .waitFor({ timeout: 30_000 });
      await who.page
        .getByTestId('timeline-entry')
        .filter({ hasText: `Severity changed from S3 to ${kept}` })
        .first()
        .waitFor({ timeout: 30_000 });
    }
    await expect
      .poll(
        async () => {
          const r = await alice.context.request.get(`/api/v1/incidents/${id}/timeline`);
          if (!r.ok()) return `HTTP ${r.status()}`;
          const body = (await r.json()) as { items?: { kind: string; author: string; data: { field?: string; to?: unknown } | null }[] };
          return (body.items ?? [])
            .filter((e) => e.kind === 'field_change' && e.data?.field === 'severity')
            .map((e) => `${e.author}:${String(e.data?.to)}`)
            .sort()
            .join(',');
        },
        { timeout: 30_000 },
      )
      .toBe([`${alice.name}:S2`, `${bob.name}:S1`].sort().join(','));
  });
});
