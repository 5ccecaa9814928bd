/**
 * The evidence outbox and API, handed to the panel through one context. They are created in
 * main.tsx next to the engine (the outbox must run app-wide, so captures upload whichever
 * screen is open), never as module state.
 */
import { createContext, useContext, type JSX } from 'solid-js';
import type { EvidenceApi } from '../../local/evidence-api.ts';
import type { EvidenceOutbox } from '../../local/evidence-outbox.ts';

export interface EvidenceServices {
  outbox: EvidenceOutbox;
  api: EvidenceApi;
}

const EvidenceContext = createContext<EvidenceServices>();

export function EvidenceProvider(props: { services: EvidenceServices; children: JSX.Element }): JSX.Element {
  return <EvidenceContext.Provider value={props.services}>{props.children}</EvidenceContext.Provider>;
}

export function useEvidence(): EvidenceServices {
  const ctx = useContext(EvidenceContext);
  if (!ctx) throw new Error('useEvidence() outside <EvidenceProvider>');
  return ctx;
}
