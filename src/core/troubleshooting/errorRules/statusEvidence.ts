import type { StatusEvidence } from '../errorRule.ts';

// What an HTTP status alone suggests. Deliberately weak: providers disagree with HTTP often
// (Google and GitHub rate-limit with 403, Slack fails with 200, OpenAI's 429 can be a spent quota),
// so any code or wording in the body should outvote the status.
export const statusEvidence: Readonly<Record<number, readonly StatusEvidence[]>> = {
  // An API answering with a redirect usually means the configured URL moved.
  301: [{ class: 'config', weight: 2 }],
  302: [{ class: 'config', weight: 1.5 }],
  307: [{ class: 'config', weight: 1.5 }],
  308: [{ class: 'config', weight: 2 }],
  400: [{ class: 'validation', weight: 1.5 }],
  401: [{ class: 'auth', weight: 2.5 }],
  402: [{ class: 'quota', weight: 2 }],
  403: [{ class: 'permission', weight: 2 }],
  404: [{ class: 'not_found', weight: 2.5 }],
  405: [{ class: 'config', weight: 1.5 }],
  406: [{ class: 'validation', weight: 1 }],
  407: [{ class: 'config', weight: 2 }],
  408: [{ class: 'timeout', weight: 3 }],
  409: [{ class: 'conflict', weight: 2.5 }],
  410: [{ class: 'not_found', weight: 2.5 }],
  411: [{ class: 'validation', weight: 1.5 }],
  412: [{ class: 'conflict', weight: 2 }],
  413: [{ class: 'payload_too_large', weight: 3 }],
  414: [{ class: 'payload_too_large', weight: 2 }],
  415: [{ class: 'validation', weight: 1.5 }],
  422: [{ class: 'validation', weight: 2.5 }],
  423: [{ class: 'conflict', weight: 2 }],
  424: [{ class: 'validation', weight: 1 }],
  425: [{ class: 'rate_limit', weight: 1 }],
  428: [{ class: 'conflict', weight: 1.5 }],
  429: [{ class: 'rate_limit', weight: 2.5 }],
  431: [{ class: 'payload_too_large', weight: 2 }],
  451: [{ class: 'permission', weight: 2 }],
  499: [{ class: 'timeout', weight: 1.5 }],
  500: [{ class: 'upstream_5xx', weight: 2 }],
  501: [{ class: 'config', weight: 1.5 }],
  502: [{ class: 'upstream_5xx', weight: 2.5 }],
  503: [{ class: 'upstream_5xx', weight: 2.5 }],
  504: [{ class: 'timeout', weight: 3 }],
  507: [{ class: 'quota', weight: 2 }],
  520: [{ class: 'upstream_5xx', weight: 2 }],
  521: [{ class: 'upstream_5xx', weight: 2 }],
  522: [{ class: 'timeout', weight: 2 }],
  523: [{ class: 'network', weight: 1.5 }],
  524: [{ class: 'timeout', weight: 2.5 }],
  525: [{ class: 'network', weight: 2 }],
  526: [{ class: 'network', weight: 2 }],
  529: [{ class: 'upstream_5xx', weight: 2.5 }],
};

/** Fallback for statuses not listed above, by family. */
export const statusFamilyEvidence: Readonly<Record<number, readonly StatusEvidence[]>> = {
  4: [{ class: 'validation', weight: 1 }],
  5: [{ class: 'upstream_5xx', weight: 1.5 }],
};
