/**
 * A connector form's values (endpoint, settings as JSON text, secret inputs) turned into the
 * PUT /connectors/{name} body, checked with the shared schema, or the first problem in words
 * naming the field. Empty secret inputs are left out: the server keeps their stored values.
 */
import { putConnectorBody, type PutConnectorBody } from '../../../shared/playbooks-api.ts';
import { err, ok, type Result } from '../../../shared/result.ts';

/** The form's values → the PUT body, or the first problem in words. */
export function connectorBodyOf(form: { endpoint: string; settings: string; secrets: Record<string, string> }): Result<PutConnectorBody, string> {
  let settings: unknown;
  try {
    settings = form.settings.trim() === '' ? {} : JSON.parse(form.settings);
  } catch (e) {
    return err(`Settings: not valid JSON (${e instanceof Error ? e.message : String(e)}).`);
  }
  if (typeof settings !== 'object' || settings === null || Array.isArray(settings)) return err('Settings: expected a JSON object like {"site": "emea"}.');
  const secrets = Object.fromEntries(Object.entries(form.secrets).filter(([, v]) => v !== ''));
  const parsed = putConnectorBody.safeParse({ endpoint: form.endpoint.trim() === '' ? null : form.endpoint.trim(), settings, secrets });
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const field = issue?.path.length ? issue.path.join('.') : 'body';
    return err(`${field}: ${issue?.message ?? 'invalid'}`);
  }
  return ok(parsed.data);
}
