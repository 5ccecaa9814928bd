import { describe, expect, it } from 'vitest';
import { connectorBodyOf } from './connector-body.ts';

describe('connector form body', () => {
  it('sends the endpoint, the settings object and only the secrets typed in', () => {
    const res = connectorBodyOf({ endpoint: ' https://edr.example.test/api ', settings: '{"site": "emea"}', secrets: { api_key: 'k-123', client_secret: '' } });
    expect(res).toEqual({ ok: true, value: { endpoint: 'https://edr.example.test/api', settings: { site: 'emea' }, secrets: { api_key: 'k-123' } } });
  });

  it('clears the endpoint when the field is emptied', () => {
    expect(connectorBodyOf({ endpoint: '', settings: '', secrets: {} })).toEqual({ ok: true, value: { endpoint: null, settings: {}, secrets: {} } });
  });

  it('names the field that is wrong and sends nothing', () => {
    expect(connectorBodyOf({ endpoint: 'ftp://edr.example.test', settings: '{}', secrets: {} })).toMatchObject({
      ok: false,
      error: expect.stringMatching(/^endpoint: /),
    });
    expect(connectorBodyOf({ endpoint: '', settings: '{"site": ', secrets: {} })).toMatchObject({
      ok: false,
      error: expect.stringMatching(/^Settings: not valid JSON/),
    });
    expect(connectorBodyOf({ endpoint: '', settings: '["a"]', secrets: {} })).toEqual({
      ok: false,
      error: 'Settings: expected a JSON object like {"site": "emea"}.',
    });
  });
});
