/**
 * Deprecated re-export of shared/indicator-normalize.ts and shared/registrable-domain.ts, the one
 * indicator normalizer of the server and the device. Kept only for the importers being edited
 * elsewhere at the time of the move (server/alerts/observable-ips.ts); new code imports the
 * shared modules. Delete this file once nothing imports it.
 */
export {   detect,    } from '../../shared/indicator-normalize.ts';
;
