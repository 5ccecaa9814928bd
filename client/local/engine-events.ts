/**
 * What the engine hears from the browser: network back (`online`: check the server, then sync
 * at once), network gone, the page hiding (write pending edit counts now), and visibility (sync
 * often while on screen, rarely when hidden). Returns the function that stops listening.
 */
export interface EngineEventDeps {
  events: EventTarget;
  visibility: (EventTarget & { readonly hidden: boolean }) | null;
  onOnline(): void;
  onOffline(): void;
  onHide(): void;
  onVisibility(hidden: boolean): void;
}

export function listenToEnvironment(deps: EngineEventDeps): () => void {
  const { events, visibility } = deps;
  const online = (): void => deps.onOnline();
  const offline = (): void => deps.onOffline();
  const hide = (): void => deps.onHide();
  const onVisibility = (): void => deps.onVisibility(visibility?.hidden ?? false);
  visibility?.addEventListener('visibilitychange', onVisibility);
  events.addEventListener('online', online);
  events.addEventListener('offline', offline);
  events.addEventListener('pagehide', hide);
  return () => {
    visibility?.removeEventListener('visibilitychange', onVisibility);
    events.removeEventListener('online', online);
    events.removeEventListener('offline', offline);
    events.removeEventListener('pagehide', hide);
  };
}
