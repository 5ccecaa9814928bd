/**
 * A readable API reference rendered on the server from the OpenAPI document: plain HTML and a
 * little inline CSS, no scripts, no CDN (works offline). Every string from the document goes
 * through `esc`, so nothing in a schema description can inject markup.
 */

type Json = Record<string, unknown>;

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };
const esc = (v: unknown): string => String(v).replace(/[&<>"']/g, (c) => ESCAPES[c] ?? c);

const isObj = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);
const anchor = (name: string): string => `schema-${name.replace(/[^A-Za-z0-9_-]/g, '_')}`;

/** A short type label: `string`, `integer`, `Incident`, `array of string`, `"a" | "b"`. */
function typeLabel(s: Json, depth: number): string {
  if (typeof s['$ref'] === 'string') {
    const name = s['$ref'].split('/').pop() ?? '';
    return `<a href="#${anchor(name)}">${esc(name)}</a>`;
  }
  if (Array.isArray(s['enum'])) return s['enum'].map((v) => `<code>${esc(JSON.stringify(v))}</code>`).join(' | ');
  if ('const' in s) return `<code>${esc(JSON.stringify(s['const']))}</code>`;
  const union = (s['anyOf'] ?? s['oneOf']) as unknown;
  if (Array.isArray(union))
    return union
      .filter(isObj)
      .map((u) => typeLabel(u, depth))
      .join(' | ');
  const t = s['type'];
  if (t === 'array') return `array of ${isObj(s['items']) ? typeLabel(s['items'], depth) : 'any'}`;
  if (t === 'object' && isObj(s['properties']) && depth < 4) return `object${fields(s, depth + 1)}`;
  if (t === 'object' && isObj(s['additionalProperties'])) return `map of ${typeLabel(s['additionalProperties'], depth)}`;
  const fmt = typeof s['format'] === 'string' ? ` (${esc(s['format'])})` : '';
  return `${esc(Array.isArray(t) ? t.join(' | ') : (t ?? 'any'))}${fmt}`;
}

function fields(s: Json, depth: number): string {
  const props = isObj(s['properties']) ? s['properties'] : {};
  const required = new Set(Array.isArray(s['required']) ? (s['required'] as string[]) : []);
  const rows = Object.entries(props)
    .filter((e): e is [string, Json] => isObj(e[1]))
    .map(([name, p]) => {
      const desc = typeof p['description'] === 'string' ? ` — ${esc(p['description'])}` : '';
      return `<li><code>${esc(name)}</code>${required.has(name) ? '' : '<span class="opt">?</span>'}: ${typeLabel(p, depth)}${desc}</li>`;
    });
  return rows.length ? `<ul>${rows.join('')}</ul>` : '';
}

function operation(path: string, method: string, op: Json): string {
  const params = Array.isArray(op['parameters']) ? op['parameters'].filter(isObj) : [];
  const paramRows = params
    .map(
      (p) =>
        `<tr><td><code>${esc(p['name'])}</code></td><td>${esc(p['in'])}</td><td>${p['required'] ? 'yes' : 'no'}</td><td>${isObj(p['schema']) ? typeLabel(p['schema'], 0) : ''}</td></tr>`,
    )
    .join('');
  const body = isObj(op['requestBody']) ? ((op['requestBody']['content'] as Json | undefined)?.['application/json'] as Json | undefined) : undefined;
  const responses = isObj(op['responses']) ? op['responses'] : {};
  const responseRows = Object.entries(responses)
    .filter((e): e is [string, Json] => isObj(e[1]))
    .map(([status, r]) => {
      const schema = ((r['content'] as Json | undefined)?.['application/json'] as Json | undefined)?.['schema'];
      return `<tr><td>${esc(status)}</td><td>${esc(r['description'] ?? '')}</td><td>${isObj(schema) ? typeLabel(schema, 0) : ''}</td></tr>`;
    })
    .join('');
  const id = esc(op['operationId'] ?? `${method}${path}`);
  return `<section class="op" id="${id}">
<h3><span class="m m-${esc(method)}">${esc(method.toUpperCase())}</span> <code>${esc(path)}</code></h3>
<p>${esc(op['summary'] ?? '')}</p>${typeof op['description'] === 'string' ? `<p class="desc">${esc(op['description'])}</p>` : ''}
${paramRows ? `<table><tr><th>parameter</th><th>in</th><th>required</th><th>type</th></tr>${paramRows}</table>` : ''}
${body && isObj(body['schema']) ? `<p><b>Body</b>: ${typeLabel(body['schema'], 0)}</p>` : ''}
<table><tr><th>status</th><th>meaning</th><th>body</th></tr>${responseRows}</table>
</section>`;
}

/** The reference page of an OpenAPI 3.1 document. */
export function renderReference(doc: Json): string {
  const info = isObj(doc['info']) ? doc['info'] : {};
  const paths = isObj(doc['paths']) ? doc['paths'] : {};
  const byTag = new Map<string, string[]>();
  for (const [path, item] of Object.entries(paths)) {
    if (!isObj(item)) continue;
    for (const [method, op] of Object.entries(item)) {
      if (!isObj(op)) continue;
      const tag = Array.isArray(op['tags']) ? String(op['tags'][0]) : 'other';
      const list = byTag.get(tag) ?? [];
      list.push(operation(path, method, op));
      byTag.set(tag, list);
    }
  }
  const components = isObj(doc['components']) && isObj(doc['components']['schemas']) ? doc['components']['schemas'] : {};
  const schemaSections = Object.entries(components)
    .filter((e): e is [string, Json] => isObj(e[1]))
    .map(
      ([name, s]) =>
        `<section class="schema" id="${anchor(name)}"><h3>${esc(name)}</h3>${isObj(s['properties']) ? fields(s, 0) : `<p>${typeLabel(s, 0)}</p>`}</section>`,
    )
    .join('\n');
  const nav = [...byTag.keys()].map((t) => `<a href="#tag-${esc(t)}">${esc(t)}</a>`).join(' · ');
  const sections = [...byTag.entries()].map(([t, ops]) => `<h2 id="tag-${esc(t)}">${esc(t)}</h2>\n${ops.join('\n')}`).join('\n');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>${esc(info['title'] ?? 'API')} — API reference</title>
<style>
body{font:15px/1.45 system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem;color:#1b1f24}
code{font:13px ui-monospace,monospace;background:#f3f4f6;padding:0 .2em;border-radius:3px}
.op,.schema{border:1px solid #d8dce1;border-radius:6px;padding:.5rem 1rem;margin:.8rem 0}
.m{font:bold 12px ui-monospace,monospace;padding:.15em .45em;border-radius:3px;color:#fff;background:#57606a}
.m-get{background:#1a7f37}.m-post{background:#0969da}.m-patch{background:#9a6700}.m-put{background:#8250df}.m-delete{background:#cf222e}
table{border-collapse:collapse;margin:.4rem 0}td,th{border:1px solid #d8dce1;padding:.2rem .5rem;text-align:left;vertical-align:top}
.opt{color:#9a6700}.desc{color:#57606a}ul{margin:.2rem 0}
</style></head><body>
<h1>${esc(info['title'] ?? 'API')} <small>${esc(info['version'] ?? '')}</small></h1>
<p>${esc(info['description'] ?? '')}</p>
<p>Machine-readable: <a href="/api/v1/openapi.json">/api/v1/openapi.json</a> (OpenAPI ${esc(doc['openapi'] ?? '')}). ${nav}</p>
${sections}
<h2 id="schemas">Schemas</h2>
${schemaSections}
</body></html>`;
}
