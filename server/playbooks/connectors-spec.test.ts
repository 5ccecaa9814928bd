import { describe, expect, it } from 'vitest';
import { buildOpenApi } from '../openapi/registry.ts';
import { CONNECTOR_ROUTES } from './connectors-spec.ts';
import { createConnectorRoutes, type ConnectorRouteDeps } from './connectors.ts';

describe('connector routes in OpenAPI', () => {
  it('documents exactly the routes the module serves', () => {
    const app = createConnectorRoutes({} as ConnectorRouteDeps);
    const served = [...new Set(app.routes.map((r) => `${r.method.toLowerCase()} ${r.path.replace(/:(\w+)/g, '{$1}')}`))].sort();
    const documented = CONNECTOR_ROUTES.map((r) => `${r.method} ${r.path}`).sort();
    expect(documented).toEqual(served);
  });

  it('PB22: builds into an OpenAPI document whose responses carry no secret value field', () => {
    const doc = buildOpenApi(CONNECTOR_ROUTES, { title: 't', version: '1', description: 'd' }) as {
      paths: Record<string, unknown>;
      components: { schemas: Record<string, unknown> };
    };
    expect(Object.keys(doc.paths).sort()).toEqual(['/connectors', '/connectors/{name}', '/secrets', '/secrets/{name}']);
    const responses = JSON.stringify([doc.components.schemas['Connector'], doc.components.schemas['SecretList']]);
    expect(responses).not.toMatch(/"(value|secrets|api_key)"/);
  });
});
