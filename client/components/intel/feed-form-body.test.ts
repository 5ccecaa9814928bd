import { describe, expect, it } from 'vitest';
import { bodyFromForm, formFromFeed } from './feed-form-body.ts';

describe('the feed form', () => {
  it('builds a CSV feed body with numeric and named columns and a tab delimiter', () => {
    const f = {
      ...formFromFeed(null),
      name: 'Feodo',
      url: 'https://feodotracker.abuse.ch/downloads/ipblocklist.csv',
      format: 'csv' as const,
      delimiter: '\\t',
      header: true,
    };
    f.columns = { ...f.columns, value: '1', malware: 'malware', first_seen: '' };
    const res = bodyFromForm(f);
    expect(res.ok && res.body).toMatchObject({
      name: 'Feodo',
      url: 'https://feodotracker.abuse.ch/downloads/ipblocklist.csv',
      format: 'csv',
      options: { delimiter: '\t', header: true, columns: { value: 1, malware: 'malware' } },
    });
    expect(res.ok && 'first_seen' in (res.body.options.columns ?? {})).toBe(false);
    const again = res.ok
      ? formFromFeed({ ...res.body, id: '00000000-0000-4000-8000-000000000001', created_at: '', updated_at: '', last_run: null, indicator_count: 0 })
      : null;
    expect(again?.delimiter).toBe('\\t');
  });

  it('sends a push feed with a null URL and only the options of its format', () => {
    const res = bodyFromForm({
      ...formFromFeed(null),
      name: 'Sandbox push',
      mode: 'push',
      url: 'https://ignored.example',
      format: 'json',
      json_mode: 'expression',
      expression: 'items.{"value": ioc}',
      collection: 'x',
    });
    expect(res.ok && res.body).toMatchObject({ url: null, format: 'json', options: { expression: 'items.{"value": ioc}' } });
    expect(res.ok && res.body.options).toEqual({ expression: 'items.{"value": ioc}' });
  });

  it('names the fields it refuses', () => {
    const res = bodyFromForm({ ...formFromFeed(null), name: ' ', url: 'ftp://x.example/list', schedule_minutes: '1', default_confidence: '300' });
    expect(res.ok).toBe(false);
    expect(!res.ok && Object.keys(res.errors).sort()).toEqual(['default_confidence', 'name', 'schedule_minutes', 'url']);
    expect(!res.ok && res.errors.url).toContain('http:// or https://');
  });

  it('reads a stored feed back into the same fields', () => {
    const feed = {
      id: '00000000-0000-4000-8000-000000000001',
      name: 'OTX',
      url: 'https://otx.example/api',
      format: 'taxii' as const,
      schedule_minutes: 30,
      default_confidence: 70,
      tlp: 'green' as const,
      types: ['ipv4' as const],
      enabled: false,
      options: { collection: 'c1', auth_secret: 'otx_key' },
      created_at: '',
      updated_at: '',
      last_run: null,
      indicator_count: 0,
    };
    const back = bodyFromForm(formFromFeed(feed));
    expect(back.ok && back.body).toEqual({
      name: 'OTX',
      url: 'https://otx.example/api',
      format: 'taxii',
      schedule_minutes: 30,
      default_confidence: 70,
      tlp: 'green',
      types: ['ipv4'],
      enabled: false,
      options: { collection: 'c1', auth_secret: 'otx_key' },
    });
  });
});
