import { scaleBand, scaleLinear } from "d3-scale";
import { formatDay } from "./format.tsx";

const CHART = { width: 720, height: 260, top: 16, right: 16, bottom: 44, left: 72 };

/** A bar chart drawn on the server: axes, ticks and labels, and a title and description for screen readers. */
export function BarChart(props: {
  id: string;
  title: string;
  description: string;
  points: { label: string; value: number }[];
  format: (value: number) => string;
  /** Counts: only whole-number ticks. */
  integers?: boolean;
}) {
  const { width, height, top, right, bottom, left } = CHART;
  const x = scaleBand()
    .domain(props.points.map((point) => point.label))
    .range([left, width - right])
    .padding(0.2);
  const max = Math.max(0, ...props.points.map((point) => point.value));
  const y = scaleLinear()
    .domain([0, max > 0 ? max : 1])
    .nice(5)
    .range([height - bottom, top]);
  const ticks = y.ticks(5).filter((tick) => !props.integers || Number.isInteger(tick));
  const every = Math.max(1, Math.ceil(props.points.length / 10));
  // The y-axis is drawn apart from the bars: on a phone the bars keep a legible size and scroll in their frame
  // (opened at the latest days) while the axis stays in view beside them.
  return (
    <div class="chart-box">
      <svg class="chart-axis" viewBox={`0 0 ${left} ${height}`} aria-hidden="true">
        {ticks.map((tick) => (
          <text x={left - 8} y={y(tick)} dy="0.32em" text-anchor="end" font-size="12" fill="#333">
            {props.format(tick)}
          </text>
        ))}
      </svg>
      <div class="chart-frame" tabindex={0}>
        <svg
          class="chart"
          viewBox={`${left} 0 ${width - left} ${height}`}
          preserveAspectRatio="xMinYMid meet"
          role="img"
          aria-labelledby={`${props.id}-title ${props.id}-desc`}
        >
          <title id={`${props.id}-title`}>{props.title}</title>
          <desc id={`${props.id}-desc`}>{props.description}</desc>
          {ticks.map((tick) => (
            <line x1={left} x2={width - right} y1={y(tick)} y2={y(tick)} stroke="#ddd" />
          ))}
          {props.points.map((point) => (
            <rect
              x={x(point.label)}
              y={y(point.value)}
              width={x.bandwidth()}
              height={Math.max(0, y(0) - y(point.value))}
              fill="#0b5cad"
            >
              <title>{`${formatDay(point.label)}: ${props.format(point.value)}`}</title>
            </rect>
          ))}
          <line x1={left} x2={width - right} y1={y(0)} y2={y(0)} stroke="#333" />
          {props.points.map((point, index) =>
            index % every === 0 ? (
              <text
                x={(x(point.label) ?? 0) + x.bandwidth() / 2}
                y={height - bottom + 18}
                text-anchor="middle"
                font-size="12"
                fill="#333"
              >
                {formatDay(point.label).replace(/ \d+$/, "")}
              </text>
            ) : null,
          )}
        </svg>
      </div>
    </div>
  );
}
