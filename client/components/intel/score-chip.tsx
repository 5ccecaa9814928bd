/** An indicator's score as a chip: red from 70, amber from 40, struck through when inactive. */
import type { JSX } from 'solid-js';

export function ScoreChip(props: { score: number; active?: boolean }): JSX.Element {
  const level = (): string => (props.score >= 70 ? 'high' : props.score >= 40 ? 'medium' : 'low');
  return (
    <span
      class="intel-score"
      data-level={level()}
      data-inactive={props.active === false ? '' : undefined}
      title={props.active === false ? 'Below its threshold: no longer matched or blocked' : undefined}
    >
      {Math.round(props.score)}
    </span>
  );
}
