/**
 * Time display: relative ("5 min ago") for scanning, absolute for the record — always with
 * seconds and the zone, in the user's display zone (time-zone.ts: UTC unless they chose the
 * device's) — and the conversions between ISO strings and <input type="datetime-local"> values,
 * which are read and written in the same display zone.
 */
import { displayZone } from './time-zone.ts';

const rtf = new Intl.RelativeTimeFormat(undefined, { numeric: 'auto', style: 'short' });

interface ZoneFormats {
  absolute: Intl.DateTimeFormat;
  clock: Intl.DateTimeFormat;
  day: Intl.DateTimeFormat;
  parts: Intl.DateTimeFormat;
}
const formats = new Map<string, ZoneFormats>();

function formatsOf(timeZone: string): ZoneFormats {
  let f = formats.get(timeZone);
  if (!f) {
    f = {
      absolute: new Intl.DateTimeFormat(undefined, {
        year: 'numeric',
        month: 'short',
        day: 'numeric',
        hour: '2-digit',
        minute: '2-digit',
        second: '2-digit',
        hourCycle: 'h23',
        timeZone,
        timeZoneName: 'short',
      }),
      clock: new Intl.DateTimeFormat(undefined, { hour: '2-digit', minute: '2-digit', second: '2-digit', hourCycle: 'h23', timeZone }),
      day: new Intl.DateTimeFormat(undefined, { month: 'short', day: 'numeric', timeZone }),
      parts: new Intl.DateTimeFormat('en-US', {
        year: 'numeric',
        month: '2-digit',
        day: '2-digit',
        hour: '2-digit',
        minute: '2-digit',
        second: '2-digit',
        hourCycle: 'h23',
        timeZone,
      }),
    };
    formats.set(timeZone, f);
  }
  return f;
}

/** The zone's short name as shown next to times ("UTC", "CET", "GMT+1"). */
export function zoneName(timeZone: string = displayZone(), at: number = Date.now()): string {
  const part = formatsOf(timeZone)
    .absolute.formatToParts(at)
    .find((p) => p.type === 'timeZoneName');
  return part?.value ?? timeZone;
}

export function relativeTime(iso: string, now: number): string {
  const t = Date.parse(iso);
  if (Number.isNaN(t)) return '—';
  const s = Math.round((t - now) / 1000);
  const a = Math.abs(s);
  if (a < 45) return 'just now';
  if (a < 3600) return rtf.format(Math.round(s / 60), 'minute');
  if (a < 86_400) return rtf.format(Math.round(s / 3600), 'hour');
  if (a < 86_400 * 30) return rtf.format(Math.round(s / 86_400), 'day');
  return formatsOf(displayZone()).absolute.format(t);
}

export function absoluteTime(iso: string | null): string {
  if (!iso) return '—';
  const t = Date.parse(iso);
  return Number.isNaN(t) ? '—' : formatsOf(displayZone()).absolute.format(t);
}

/** "14:02:05" today, "Mar 3 14:02:05" on other days (in the display zone): compact stamps for lists. */
export function stampTime(iso: string, now: number): string {
  const t = Date.parse(iso);
  if (Number.isNaN(t)) return '—';
  const f = formatsOf(displayZone());
  const sameDay = f.day.format(t) === f.day.format(now) && Math.abs(t - now) < 86_400_000;
  return sameDay ? f.clock.format(t) : `${f.day.format(t)} ${f.clock.format(t)}`;
}

const pad = (n: number): string => String(n).padStart(2, '0');

/** The wall-clock fields of an instant in a zone. */
function wallClock(t: number, timeZone: string): { y: number; mo: number; d: number; h: number; mi: number; s: number } {
  const get = (type: string): number =>
    Number(
      formatsOf(timeZone)
        .parts.formatToParts(t)
        .find((p) => p.type === type)?.value ?? 0,
    );
  return { y: get('year'), mo: get('month'), d: get('day'), h: get('hour') % 24, mi: get('minute'), s: get('second') };
}

/** ISO → "YYYY-MM-DDTHH:mm:ss" in the display zone, for datetime-local inputs (step 1 s). */
export function toLocalInput(iso: string | null): string {
  if (!iso) return '';
  const t = Date.parse(iso);
  if (Number.isNaN(t)) return '';
  const w = wallClock(t, displayZone());
  return `${w.y}-${pad(w.mo)}-${pad(w.d)}T${pad(w.h)}:${pad(w.mi)}:${pad(w.s)}`;
}

const LOCAL_INPUT = /^(\d{4})-(\d\d)-(\d\d)T(\d\d):(\d\d)(?::(\d\d)(?:\.\d+)?)?$/;

/** datetime-local value (wall-clock time in the display zone) → ISO (UTC), or null when empty or invalid. */
export function fromLocalInput(value: string): string | null {
  const m = LOCAL_INPUT.exec(value);
  if (!m) return null;
  const [y, mo, d, h, mi, s] = m.slice(1).map((v) => Number(v ?? 0)) as [number, number, number, number, number, number];
  const asUtc = Date.UTC(y, mo - 1, d, h, mi, s);
  if (Number.isNaN(asUtc)) return null;
  // The zone's offset at that wall-clock time, found by formatting the guess back (twice, for DST edges).
  const zone = displayZone();
  let t = asUtc;
  for (let i = 0; i < 2; i++) {
    const w = wallClock(t, zone);
    const shown = Date.UTC(w.y, w.mo - 1, w.d, w.h, w.mi, w.s);
    t += asUtc - shown;
  }
  return new Date(t).toISOString();
}
