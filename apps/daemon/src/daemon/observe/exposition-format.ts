/** The two formats `/metrics` is served in. */
export type ExpositionFormat = 'prometheus' | 'openmetrics';

const OPENMETRICS = 'application/openmetrics-text';
const TEXT = 'text/plain';

/**
 * The format a scraper's `Accept` header asks for: OpenMetrics when it lists
 * `application/openmetrics-text` (any version) with a quality above 0 and at
 * least that of `text/plain`; the Prometheus text format otherwise — also
 * for no header, a wildcard, or types we do not serve (every Prometheus client
 * library falls back to text the same way). Media type parameters other than
 * `q` (`version`, Prometheus 3's `escaping`) do not matter: every name here
 * is a classic one, the same in every version and escaping scheme.
 *
 * Cost: one pass over the header; never throws.
 */
export function negotiateFormat(accept: string | undefined): ExpositionFormat {
  let openMetrics = 0;
  let text = 0;
  for (const range of (accept ?? '').split(',')) {
    const [type = '', ...params] = range.split(';').map((part) => part.trim().toLowerCase());
    const q = quality(params);
    if (type === OPENMETRICS) openMetrics = Math.max(openMetrics, q);
    else if (type === TEXT) text = Math.max(text, q);
  }
  return openMetrics > 0 && openMetrics >= text ? 'openmetrics' : 'prometheus';
}

/** The `q` of a media range's parameters: 1 when absent, 0 when not a number in 0..1. */
function quality(params: readonly string[]): number {
  const q = params.find((param) => param.startsWith('q='));
  if (q === undefined) return 1;
  const value = Number(q.slice(2));
  return Number.isFinite(value) && value >= 0 && value <= 1 ? value : 0;
}
