/**
 * Status and field changes as sentences: "Status changed from Triage to Closed (resolution: False
 * positive)", "Severity changed from S3 to S2", a lead's correction of a stamped time, a corrected
 * event time, the breach flag; and, on the user's own change that a concurrent edit replaced,
 * a notice saying so (field-conflicts.ts).
 */
import { Show, type JSX } from 'solid-js';
import { RESOLUTION_LABELS } from '../../../shared/incident-schema.ts';
import type { FieldChangePayload, StatusChangePayload } from '../../../shared/timeline-payloads.ts';
import { isStatus } from '../../../shared/workflow.ts';
import { fieldLabel, statusLabel } from '../labels.ts';
import { absoluteTime } from '../time-format.ts';
import type { LostEdit } from './field-conflicts.ts';

const showValue = (v: unknown): string => (v === null || v === undefined || v === '' ? '(none)' : typeof v === 'object' ? JSON.stringify(v) : String(v));
const showTime = (v: unknown): string => (typeof v === 'string' ? absoluteTime(v) : '(none)');

/** A status change as a sentence. */
export function describeStatusChange(data: StatusChangePayload): string {
  const from = isStatus(data.from) ? statusLabel(data.from) : String(data.from ?? '?');
  const to = isStatus(data.to) ? statusLabel(data.to) : data.to;
  const resolution = data.resolution ? RESOLUTION_LABELS[data.resolution] : null;
  return `Status changed from ${from} to ${to}${resolution ? ` (resolution: ${resolution})` : ''}`;
}

/** A field change as a sentence. */
export function describeFieldChange(data: FieldChangePayload): string {
  if (data.correction === true) return `${fieldLabel(data.field)} corrected from ${showTime(data.from)} to ${showTime(data.to)}`;
  if (data.field === 'entry_time') return `Event time of an entry corrected from ${showTime(data.from)} to ${showTime(data.to)}`;
  if (data.field === 'breach') {
    const to = data.to;
    if (typeof to === 'object' && to !== null && typeof (to as Record<string, unknown>)['regulation'] === 'string') {
      return `Marked as a personal-data breach (${String((to as Record<string, unknown>)['regulation'])}); the notification clock started`;
    }
    return 'No longer marked as a personal-data breach';
  }
  return `${fieldLabel(data.field)} changed from ${showValue(data.from)} to ${showValue(data.to)}`;
}

export function ChangeEntry(props: { sentence: string; text: string; lost: LostEdit | null }): JSX.Element {
  return (
    <>
      <p class="tl-text">
        {props.sentence}
        <Show when={props.text}>
          <span class="muted"> — {props.text}</span>
        </Show>
      </p>
      <Show when={props.lost}>
        {(l) => (
          <p class="tl-conflict" role="status" data-testid="timeline-lost-edit">
            Your value {showValue(l().mine)} was not kept: a concurrent edit by {l().by} set {fieldLabel(l().field)} to {showValue(l().now)}. Set it again if
            yours should stand.
          </p>
        )}
      </Show>
    </>
  );
}
