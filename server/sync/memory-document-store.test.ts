// @vitest-environment node
import { documentStoreContract } from './document-store.contract.ts';
import { createMemoryDocumentStore } from './memory-document-store.ts';

documentStoreContract('memory', async () => ({ store: createMemoryDocumentStore(), cleanup: async () => {} }));
