/** The types of the npm package `parse-prometheus-text-format` (it ships none). */
declare module 'parse-prometheus-text-format' {
  interface ParsedSample {
    value: string;
    labels?: Record<string, string>;
    buckets?: Record<string, string>;
    count?: string;
    sum?: string;
  }
  interface ParsedFamily {
    name: string;
    help: string;
    type: 'COUNTER' | 'GAUGE' | 'HISTOGRAM' | 'SUMMARY' | 'UNTYPED';
    metrics: ParsedSample[];
  }
  /** Parses the Prometheus text format 0.0.4; throws on what it cannot parse. */
  export default function parsePrometheusTextFormat(text: string): ParsedFamily[];
}
