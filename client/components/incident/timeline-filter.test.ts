import { describe, expect, it } from 'vitest';
import { isFiltering, NO_TIMELINE_FILTER, parseTimelineSearch, timelineFilterOf, timelineMatcher, toTimelineSearch } from './timeline-filter.ts';

const entry = (kind: string, author: string, text: string) => ({ kind, author, text: () => text });

describe('timeline filter', () => {
  it('reads the URL defensively: a bad value means everything, never an error', () => {
    expect(timelineFilterOf(parseTimelineSearch({ tl_kind: 'nonsense', tl_auto: 'maybe', tl_q: 42 }))).toEqual({ ...NO_TIMELINE_FILTER, q: '42' });
    expect(parseTimelineSearch({ tl_kind: 'note', tl_author: ' Ana ', tl_auto: 'hide', other: 'x' })).toEqual({
      tl_kind: 'note',
      tl_author: 'Ana',
      tl_auto: 'hide',
    });
    expect(toTimelineSearch(NO_TIMELINE_FILTER)).toEqual({});
    expect(isFiltering(NO_TIMELINE_FILTER)).toBe(false);
  });

  it('matches kind, author (part of the name, any case), every word of the search, and hides automation', () => {
    const m = timelineMatcher({ kind: '', author: 'ana', q: 'host ISOLATED', auto: false });
    expect(m(entry('note', 'Ana Runner', 'The host was isolated at 10:02'))).toBe(true);
    expect(m(entry('note', 'Ana Runner', 'The host was rebooted'))).toBe(false);
    expect(m(entry('note', 'Bob', 'host isolated'))).toBe(false);
    expect(m(entry('automation', 'Ana Runner', 'host isolated'))).toBe(false);
    expect(timelineMatcher({ ...NO_TIMELINE_FILTER, kind: 'alert' })(entry('note', 'x', 'y'))).toBe(false);
  });
});
