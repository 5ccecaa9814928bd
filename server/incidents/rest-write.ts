/**
 * The steps every REST write of an incident's document shares (the incident write routes and the
 * post-incident review routes): the incident must exist, the update is stored before the answer
 * (a 2xx survives a crash; 503 while the database is away, the update retried in memory), and it
 * is projected at once, so the answer and the next read show it — or say that they cannot.
 */
import { DomainError } from '../../shared/errors.ts';
import { isIncidentDoc } from '../../shared/incident-doc.ts';
import type { DocumentManager } from '../sync/document-types.ts';
import type { Projector } from './projector.ts';

export interface RestWrite {
  /** 404 unless the document is an incident. */
  mustExist(id: string): Promise<void>;
  /** Wait until the document's update is stored in Postgres. */
  stored(id: string): Promise<void>;
  /** Stored, then projected: a projection that failed is 500 `not_projected`, never the previous row passed off as this write's. */
  storedAndProjected(id: string): Promise<void>;
}

export function restWrite(docs: DocumentManager, projector: Projector): RestWrite {
  const stored = async (id: string): Promise<void> => {
    try {
      await docs.flushDoc(id);
    } catch {
      throw new DomainError(
        'unavailable',
        `the change to incident ${id} is accepted but not stored yet: the database is not reachable; it is stored when the database is back`,
      );
    }
  };
  return {
    async mustExist(id) {
      if (!(await docs.withDoc(id, (doc) => isIncidentDoc(doc)))) throw new DomainError('not_found', `no incident ${id}`);
    },
    stored,
    async storedAndProjected(id) {
      await stored(id);
      if ((await projector.project(id)) === 'failed') {
        throw new DomainError('not_projected', `incident ${id} was written, but its REST view could not be updated; reads may show the previous state`, {
          incident_id: id,
        });
      }
    },
  };
}
