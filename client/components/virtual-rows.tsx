/**
 * Renders only the rows in (and near) the viewport of a long list that scrolls with the page,
 * so thousands of incidents cost a few dozen DOM rows. Rows have a fixed height.
 */
import { createMemo, createSignal, For, onCleanup, onMount, type JSX } from 'solid-js';

export interface VirtualRowsProps<T> {
  items: readonly T[];
  rowHeight: number;
  /** Extra rows rendered above and below the viewport. */
  overscan?: number;
  children: (item: T, index: number) => JSX.Element;
  class?: string;
  'data-testid'?: string;
  'aria-label'?: string;
}

export function VirtualRows<T>(props: VirtualRowsProps<T>): JSX.Element {
  let el: HTMLDivElement | undefined;
  const [viewport, setViewport] = createSignal({ top: 0, height: typeof window === 'undefined' ? 800 : window.innerHeight });
  let frame = 0;
  const measure = (): void => {
    frame = 0;
    if (!el) return;
    const rect = el.getBoundingClientRect();
    // Visible window in the list's own coordinates.
    setViewport({ top: Math.max(0, -rect.top), height: window.innerHeight });
  };
  const schedule = (): void => {
    if (!frame) frame = requestAnimationFrame(measure);
  };
  onMount(() => {
    measure();
    window.addEventListener('scroll', schedule, { passive: true });
    window.addEventListener('resize', schedule);
    onCleanup(() => {
      window.removeEventListener('scroll', schedule);
      window.removeEventListener('resize', schedule);
      if (frame) cancelAnimationFrame(frame);
    });
  });

  const range = createMemo(() => {
    const overscan = props.overscan ?? 8;
    const h = props.rowHeight;
    const { top, height } = viewport();
    const start = Math.max(0, Math.floor(top / h) - overscan);
    const end = Math.min(props.items.length, Math.ceil((top + height) / h) + overscan);
    return { start, end };
  });
  const slice = createMemo(() => {
    const { start, end } = range();
    return props.items.slice(start, end);
  });

  return (
    <div
      ref={el}
      class={`virtual-rows ${props.class ?? ''}`}
      role="list"
      aria-label={props['aria-label']}
      data-testid={props['data-testid']}
      style={{ height: `${props.items.length * props.rowHeight}px` }}
    >
      {/* Positions are in styles.css: Solid writes constant style values into its HTML template,
          where the Content-Security-Policy (style-src 'self') drops them; only computed ones are
          set through element.style. */}
      <div class="virtual-rows-window" style={{ top: `${range().start * props.rowHeight}px` }}>
        <For each={slice()}>
          {(item, i) => (
            <div role="listitem" style={{ height: `${props.rowHeight}px` }}>
              {props.children(item, range().start + i())}
            </div>
          )}
        </For>
      </div>
    </div>
  );
}
