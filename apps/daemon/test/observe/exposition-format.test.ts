import { describe, expect, it } from 'vitest';
import { negotiateFormat } from '../../src/daemon/observe/exposition-format.js';

describe('negotiateFormat (the Accept header of a scrape)', () => {
  it('picks OpenMetrics for the headers Prometheus 2 and 3 send', () => {
    expect(negotiateFormat('application/openmetrics-text;version=1.0.0,application/openmetrics-text;version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1')).toBe('openmetrics');
    expect(negotiateFormat('application/openmetrics-text;version=1.0.0;escaping=allow-utf-8;q=0.5,application/openmetrics-text;version=0.0.1;q=0.4,text/plain;version=1.0.0;escaping=allow-utf-8;q=0.3,text/plain;version=0.0.4;q=0.2,*/*;q=0.1')).toBe('openmetrics');
    expect(negotiateFormat('Application/OpenMetrics-Text; version=1.0.0')).toBe('openmetrics');
  });

  it('picks the text format when asked, by default, for wildcards and for types it does not serve', () => {
    for (const accept of [undefined, '', '*/*', 'text/*', 'text/plain;version=0.0.4', 'application/json', 'text/plain;version=0.0.4;q=0.9,application/openmetrics-text;q=0.5']) {
      expect(negotiateFormat(accept)).toBe('prometheus');
    }
  });

  it('never picks OpenMetrics at q=0 or with a quality that is not one', () => {
    expect(negotiateFormat('application/openmetrics-text;q=0,*/*')).toBe('prometheus');
    expect(negotiateFormat('application/openmetrics-text;q=high')).toBe('prometheus');
    expect(negotiateFormat('application/openmetrics-text;q=2')).toBe('prometheus');
  });
});
