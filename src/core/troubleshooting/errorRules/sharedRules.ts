import type { ProviderRuleSet } from '../errorRule.ts';

// Error codes that several APIs share by convention (OAuth 2.0 / RFC 6750 error codes and the
// `type` names Stripe and Anthropic both use). They count as documented codes whatever the service.
export const sharedRules: ProviderRuleSet = {
  provider: '*',
  rules: [
    {
      id: 'oauth.invalid_grant',
      class: 'auth',
      match: /\binvalid_grant\b/,
      note: 'the OAuth grant or refresh token expired or was revoked (invalid_grant)',
    },
    {
      id: 'oauth.invalid_token',
      class: 'auth',
      match: /\b(?:invalid_token|expired_token|token_expired|token_revoked)\b/,
      note: 'the access token is invalid, expired or revoked',
    },
    {
      id: 'oauth.invalid_client',
      class: 'auth',
      weight: 5,
      match: /\binvalid_client\b/,
      note: 'the OAuth client id/secret were rejected (rotated or expired secret)',
    },
    {
      id: 'oauth.insufficient_scope',
      class: 'permission',
      match: /\b(?:insufficient_scope|missing_scopes?|access_denied)\b/,
      note: 'the connection was authorised without a scope this action needs',
    },
    {
      id: 'oauth.client_setup',
      class: 'config',
      match:
        /\b(?:unauthorized_client|unsupported_grant_type|invalid_scope|redirect_uri_mismatch|invalid_redirect_uri)\b/,
      note: 'the OAuth app registration does not match how the connection is set up',
      fix: 'Make the OAuth app registration match the connection: same client id, the exact redirect URI, allowed grant types and scopes; then reconnect.',
    },
    { id: 'type.authentication_error', class: 'auth', match: /\bauthentication_error\b/ },
    { id: 'type.permission_error', class: 'permission', match: /\bpermission_error\b/ },
    { id: 'type.rate_limit_error', class: 'rate_limit', match: /\brate_limit_error\b/ },
    { id: 'type.not_found_error', class: 'not_found', match: /\bnot_found_error\b/ },
    { id: 'type.overloaded_error', class: 'upstream_5xx', match: /\boverloaded_error\b/ },
    { id: 'type.request_too_large', class: 'payload_too_large', match: /\brequest_too_large\b/ },
    { id: 'type.api_error', class: 'upstream_5xx', weight: 5, match: /\bapi_error\b/ },
    // Used for bad parameters but also for missing resources and oversized prompts: weak.
    {
      id: 'type.invalid_request_error',
      class: 'validation',
      weight: 2.5,
      match: /\binvalid_request_error\b/,
    },
    {
      id: 'rails.length_validation',
      class: 'validation',
      weight: 5,
      match: /is too (?:long|short) \((?:maximum|minimum) is \d+/,
      note: 'a field value is longer or shorter than the API allows',
    },
  ],
};
