/**
 * The incident's cost section (shared/incident-cost.ts): its lines with their assumptions, a
 * subtotal per kind and the live total, all read from the local document, so it is co-edited and
 * works offline. Amounts are typed as decimals and stored as integer minor units. A running
 * outage's line grows with the clock (re-read every minute). Read-only without incident:write.
 */
import { createSignal, For, onCleanup, Show, type JSX } from 'solid-js';
import type * as Y from 'yjs';
import {
  COST_KINDS,
  currencyDigits,
  formatMinor,
  formatMoney,
  observeCost,
  parseDecimal,
  readCost,
  removeCostLine,
  setCostLine,
  THIRD_PARTY_CATEGORIES,
  type CostKind,
  type CostLine,
} from '../../../shared/incident-cost.ts';
import { useApp } from '../../app-context.tsx';

const KIND_LABEL: Record<CostKind, string> = { downtime: 'Downtime', effort: 'Response effort', recovery: 'Recovery', third_party: 'Third parties' };

function lineFigures(l: CostLine, digits: number, currency: string): string {
  if (l.kind === 'downtime' || l.kind === 'effort') {
    const h = formatMinor(l.hoursUsed ?? 0, 2);
    const rate = formatMoney(l.rate, currency);
    return `${h} h × ${rate}/h${l.kind === 'downtime' && l.running ? ' (running)' : ''}`;
  }
  return l.kind === 'third_party' ? l.category.replace('_', ' ') : formatMinor(l.amount, digits);
}

export function CostPanel(props: { doc: Y.Doc; readOnly: boolean }): JSX.Element {
  const app = useApp();
  const [cost, setCost] = createSignal(readCost(props.doc));
  const refresh = (): void => void setCost(readCost(props.doc));
  onCleanup(observeCost(props.doc, refresh));
  const tick = setInterval(() => cost().running && refresh(), 60_000);
  onCleanup(() => clearInterval(tick));

  const [kind, setKind] = createSignal<CostKind>('downtime');
  const [label, setLabel] = createSignal('');
  const [hours, setHours] = createSignal('');
  const [rate, setRate] = createSignal('');
  const [amount, setAmount] = createSignal('');
  const [category, setCategory] = createSignal<(typeof THIRD_PARTY_CATEGORIES)[number]>('forensics');
  const [target, setTarget] = createSignal<'asset' | 'service'>('asset');
  const [assumption, setAssumption] = createSignal('');
  const [error, setError] = createSignal<string | null>(null);

  const digits = (): number => currencyDigits(cost().currency) ?? 2;

  const add = (e: SubmitEvent): void => {
    e.preventDefault();
    const k = kind();
    const money = (s: string): number | null => parseDecimal(s, digits());
    let input: Record<string, unknown> = { kind: k, label: label(), assumption: assumption() };
    if (k === 'downtime' || k === 'effort') {
      const h = parseDecimal(hours(), 2);
      const r = money(rate());
      if (h === null) return void setError('Hours: a number such as 2.5');
      if (r === null) return void setError(`Rate per hour: a number with at most ${digits()} decimals`);
      input = { ...input, hours: h, rate: r, ...(k === 'downtime' ? { target: target() } : {}) };
    } else {
      const a = money(amount());
      if (a === null) return void setError(`Amount: a number with at most ${digits()} decimals`);
      input = { ...input, amount: a, ...(k === 'third_party' ? { category: category() } : {}) };
    }
    const r = setCostLine(props.doc, input, app.authorName());
    if (!r.ok) return void setError(r.error);
    setError(null);
    setLabel('');
    setHours('');
    setRate('');
    setAmount('');
    setAssumption('');
  };

  return (
    <section class="card cost" aria-labelledby="cost-title" data-testid="cost-panel">
      <h2 id="cost-title">Cost</h2>
      <p class="cost-total">
        Total{cost().running ? ' so far' : ''}: <strong data-testid="cost-total">{formatMoney(cost().total, cost().currency)}</strong>
      </p>
      <Show when={cost().problems.length > 0}>
        <div class="warning" role="alert" data-testid="cost-problems">
          Some cost data could not be read and is not counted: {cost().problems.join('; ')}
        </div>
      </Show>
      <For each={COST_KINDS.filter((k) => cost().lines.some((l) => l.kind === k))}>
        {(k) => (
          <div class="cost-kind">
            <h3>
              {KIND_LABEL[k]}: <span data-testid={`cost-subtotal-${k}`}>{formatMoney(cost().subtotals[k], cost().currency)}</span>
            </h3>
            <ul class="cost-lines">
              <For each={cost().lines.filter((l) => l.kind === k)}>
                {(l) => (
                  <li data-testid="cost-line">
                    <span class="cost-label">{l.label}</span> <span class="muted small">{lineFigures(l, digits(), cost().currency)}</span>{' '}
                    <strong>{formatMoney(l.cost, cost().currency)}</strong>
                    <Show when={l.assumption}>
                      <p class="muted small cost-assumption">Assumption: {l.assumption}</p>
                    </Show>
                    <Show when={!props.readOnly}>
                      <button
                        type="button"
                        class="link-btn"
                        aria-label={`Remove cost line ${l.label}`}
                        onClick={() => removeCostLine(props.doc, l.id, app.authorName())}
                      >
                        Remove
                      </button>
                    </Show>
                  </li>
                )}
              </For>
            </ul>
          </div>
        )}
      </For>
      <Show when={cost().lines.length === 0}>
        <p class="muted">No cost lines yet.</p>
      </Show>
      <Show when={!props.readOnly}>
        <form class="cost-add" onSubmit={add} data-testid="cost-add">
          <label>
            Kind{' '}
            <select value={kind()} onChange={(e) => setKind(e.currentTarget.value as CostKind)} data-testid="cost-kind">
              <For each={COST_KINDS}>{(k) => <option value={k}>{KIND_LABEL[k]}</option>}</For>
            </select>
          </label>
          <label>
            {kind() === 'downtime' ? 'Asset or service' : kind() === 'effort' ? 'Responder' : 'What'}{' '}
            <input value={label()} onInput={(e) => setLabel(e.currentTarget.value)} maxLength={200} required data-testid="cost-label" />
          </label>
          <Show when={kind() === 'downtime'}>
            <label>
              Down{' '}
              <select value={target()} onChange={(e) => setTarget(e.currentTarget.value as 'asset' | 'service')}>
                <option value="asset">asset</option>
                <option value="service">business service</option>
              </select>
            </label>
          </Show>
          <Show when={kind() === 'downtime' || kind() === 'effort'}>
            <label>
              Hours <input inputMode="decimal" value={hours()} onInput={(e) => setHours(e.currentTarget.value)} data-testid="cost-hours" />
            </label>
            <label>
              Rate per hour ({cost().currency}){' '}
              <input inputMode="decimal" value={rate()} onInput={(e) => setRate(e.currentTarget.value)} data-testid="cost-rate" />
            </label>
          </Show>
          <Show when={kind() === 'third_party'}>
            <label>
              Category{' '}
              <select value={category()} onChange={(e) => setCategory(e.currentTarget.value as (typeof THIRD_PARTY_CATEGORIES)[number])}>
                <For each={THIRD_PARTY_CATEGORIES}>{(c) => <option value={c}>{c.replace('_', ' ')}</option>}</For>
              </select>
            </label>
          </Show>
          <Show when={kind() === 'recovery' || kind() === 'third_party'}>
            <label>
              Amount ({cost().currency}){' '}
              <input inputMode="decimal" value={amount()} onInput={(e) => setAmount(e.currentTarget.value)} data-testid="cost-amount" />
            </label>
          </Show>
          <label>
            Assumption <input value={assumption()} onInput={(e) => setAssumption(e.currentTarget.value)} maxLength={2000} data-testid="cost-assumption" />
          </label>
          <button type="submit" class="btn" data-testid="cost-add-line">
            Add cost line
          </button>
          <Show when={error()}>
            {(msg) => (
              <p class="warning" role="alert">
                {msg()}
              </p>
            )}
          </Show>
        </form>
      </Show>
    </section>
  );
}
