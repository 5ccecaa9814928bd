/**
 * The connector and named-secret routes (server/playbooks/connectors.ts) in the OpenAPI
 * registry, with the shared schemas of shared/playbooks-api.ts. Secrets are write-only: no
 * response schema here has a field that could carry one.
 */
import { z } from 'zod';
import { connectorSchema, connectorsResponse, putConnectorBody, putSecretBody, secretsResponse } from '../../shared/playbooks-api.ts';
import type { Named, RouteSpec } from '../openapi/registry.ts';

const n = (name: string, schema: z.ZodType): Named => ({ name, schema });
const connectorParam = z.object({ name: z.string().describe('firewall, proxy, identity, edr, mail, virustotal, abuseipdb, slack, teams') });
const secretParam = z.object({ name: z.string().describe('A letter, then letters, digits or _ (at most 64)') });
const Connector = n('Connector', connectorSchema);

export const CONNECTOR_ROUTES: readonly RouteSpec[] = [
  {
    method: 'get',
    path: '/connectors',
    tag: 'playbooks',
    summary: 'Every connector the actions can use, configured or not (secret field names only)',
    action: 'settings:manage',
    responses: { 200: { description: 'Connectors', schema: n('ConnectorList', connectorsResponse) } },
  },
  {
    method: 'put',
    path: '/connectors/{name}',
    tag: 'playbooks',
    summary: 'Configure a connector: endpoint, settings and secrets (encrypted at rest; omitted secrets keep their value)',
    action: 'settings:manage',
    params: connectorParam,
    body: n('PutConnector', putConnectorBody),
    responses: { 200: { description: 'The connector as stored (no secret values)', schema: Connector }, 404: { description: 'No such connector' } },
  },
  {
    method: 'delete',
    path: '/connectors/{name}',
    tag: 'playbooks',
    summary: 'Remove a connector configuration and its secrets',
    action: 'settings:manage',
    params: connectorParam,
    responses: { 204: { description: 'Removed' }, 404: { description: 'No such connector, or not configured' } },
  },
  {
    method: 'get',
    path: '/secrets',
    tag: 'playbooks',
    summary: 'Named secrets for http.request auth (names only)',
    action: 'settings:manage',
    responses: { 200: { description: 'Secret names', schema: n('SecretList', secretsResponse) } },
  },
  {
    method: 'put',
    path: '/secrets/{name}',
    tag: 'playbooks',
    summary: 'Set a named secret (encrypted at rest, never returned)',
    action: 'settings:manage',
    params: secretParam,
    body: n('PutSecret', putSecretBody),
    responses: { 204: { description: 'Stored' } },
  },
  {
    method: 'delete',
    path: '/secrets/{name}',
    tag: 'playbooks',
    summary: 'Remove a named secret',
    action: 'settings:manage',
    params: secretParam,
    responses: { 204: { description: 'Removed' }, 404: { description: 'No such secret' } },
  },
];
