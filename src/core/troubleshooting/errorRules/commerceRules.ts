import type { ProviderRuleSet } from '../errorRule.ts';

// CRMs, payments, shops and accounting. Salesforce and HubSpot separate rolling rate limits
// (retry later) from daily allowances (retry tomorrow or buy more), which HTTP cannot express.
export const commerceRules: readonly ProviderRuleSet[] = [
  {
    provider: 'salesforce',
    rules: [
      {
        id: 'salesforce.concurrent',
        class: 'rate_limit',
        weight: 8,
        match: /ConcurrentPerOrgLongTxn|concurrent (?:api )?requests? limit/i,
        note: 'too many long-running requests at once in this org',
      },
      {
        id: 'salesforce.request_limit',
        class: 'quota',
        weight: 7,
        match: /\bREQUEST_LIMIT_EXCEEDED\b|TotalRequests Limit exceeded/,
        note: "the org's rolling 24-hour API request allowance is used up",
      },
      { id: 'salesforce.storage', class: 'quota', weight: 7, match: /\bSTORAGE_LIMIT_EXCEEDED\b/ },
      {
        id: 'salesforce.session',
        class: 'auth',
        weight: 7,
        match:
          /\b(?:INVALID_SESSION_ID|INVALID_AUTH_HEADER|INVALID_LOGIN|LOGIN_MUST_USE_SECURITY_TOKEN|PASSWORD_LOCKOUT|INVALID_OPERATION_WITH_EXPIRED_PASSWORD)\b|Session expired or invalid|expired access\/refresh token/,
        note: 'the Salesforce session or refresh token expired or was revoked (INVALID_SESSION_ID)',
      },
      {
        id: 'salesforce.access',
        class: 'permission',
        weight: 7,
        match:
          /\b(?:INSUFFICIENT_ACCESS(?:_OR_READONLY|_ON_CROSS_REFERENCE_ENTITY)?|TXN_SECURITY_NO_ACCESS)\b/,
        note: "the integration user's profile or sharing rules do not allow this operation",
      },
      {
        id: 'salesforce.validation',
        class: 'validation',
        weight: 7,
        match:
          /\b(?:FIELD_CUSTOM_VALIDATION_EXCEPTION|REQUIRED_FIELD_MISSING|INVALID_FIELD_FOR_INSERT_UPDATE|MALFORMED_ID|MALFORMED_QUERY|INVALID_EMAIL_ADDRESS|STRING_TOO_LONG|JSON_PARSER_ERROR|INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST|NUMBER_OUTSIDE_VALID_RANGE|INVALID_CROSS_REFERENCE_KEY|FIELD_FILTER_VALIDATION_EXCEPTION|FIELD_INTEGRITY_EXCEPTION|CANNOT_INSERT_UPDATE_ACTIVATE_ENTITY|INVALID_QUERY_FILTER_OPERATOR|INVALID_ID_FIELD|INVALID_FIELD_WHEN_USING_TEMPLATE|INVALID_TYPE_FOR_OPERATION|INVALID_OPERATION|APEX_ERROR)\b/,
      },
      {
        id: 'salesforce.unknown_sobject',
        class: 'config',
        weight: 8,
        match:
          /sObject type '[^']+' is not supported|\b(?:INVALID_TYPE|FUNCTIONALITY_NOT_ENABLED|UNSUPPORTED_API_VERSION)\b/,
        note: 'the step names an object or feature this org does not have',
        fix: 'Check the object/field API names in the step (custom objects end in __c), that the feature is enabled in this org, and the API version in the connection.',
      },
      {
        id: 'salesforce.not_found',
        class: 'not_found',
        weight: 7,
        match: /\b(?:NOT_FOUND|ENTITY_IS_DELETED)\b|The requested resource does not exist/,
      },
      {
        id: 'salesforce.row_lock',
        class: 'conflict',
        weight: 7,
        retryable: true,
        match: /\bUNABLE_TO_LOCK_ROW\b|unable to obtain exclusive access to this record/,
        note: 'another process holds a lock on the record; it usually clears within seconds',
      },
      {
        id: 'salesforce.duplicate',
        class: 'conflict',
        weight: 7,
        match:
          /\b(?:ENTITY_IS_LOCKED|DUPLICATE_VALUE|DUPLICATES_DETECTED|DUPLICATE_EXTERNAL_ID|DUPLICATE_USERNAME)\b/,
      },
      {
        id: 'salesforce.server',
        class: 'upstream_5xx',
        weight: 7,
        match: /\b(?:SERVER_UNAVAILABLE|UNKNOWN_EXCEPTION)\b|Please include this ErrorId/,
      },
      {
        id: 'salesforce.query_timeout',
        class: 'timeout',
        weight: 7,
        match: /\bQUERY_TIMEOUT\b|query request was running for too long/,
      },
      {
        id: 'salesforce.batch',
        class: 'payload_too_large',
        weight: 7,
        match:
          /\b(?:EXCEEDED_ID_LIMIT|MAXIMUM_SIZE_OF_ATTACHMENT|MAXIMUM_SIZE_OF_DOCUMENT)\b|cannot exceed 200 records|exceeds? the maximum of \d+ (?:records|subrequests)/,
      },
    ],
  },
  {
    provider: 'hubspot',
    rules: [
      {
        id: 'hubspot.daily',
        class: 'quota',
        weight: 8.5,
        match: /policyName["']?\s*[:=]\s*["']?DAILY\b|reached your daily limit|\bDAILY\b/,
        note: "the portal's daily API call allowance is used up; it resets at midnight in the account's time zone",
      },
      {
        id: 'hubspot.burst',
        class: 'rate_limit',
        weight: 8,
        match: /\b(?:TEN_SECONDLY_ROLLING|SECONDLY|ONE_SECONDLY)\b|ten_secondly_rolling|secondly limit/i,
        note: "HubSpot's per-10-second burst limit was hit",
      },
      { id: 'hubspot.rate_limit', class: 'rate_limit', weight: 5, match: /\bRATE_LIMITS?\b/ },
      {
        id: 'hubspot.auth',
        class: 'auth',
        weight: 7,
        match:
          /\b(?:EXPIRED_AUTHENTICATION|INVALID_AUTHENTICATION)\b|OAuth token used to make this call expired|Authentication credentials not found|hapikey .* doesn't exist/i,
      },
      {
        id: 'hubspot.scopes',
        class: 'permission',
        weight: 7,
        match:
          /\bMISSING_SCOPES?\b|hasn't been granted all required scopes|requires one of the following scopes|\bFORBIDDEN\b/,
      },
      // VALIDATION_ERROR is the category of every HubSpot 400, size limits included.
      { id: 'hubspot.validation_category', class: 'validation', weight: 4, match: /\bVALIDATION_ERROR\b/ },
      {
        id: 'hubspot.validation',
        class: 'validation',
        weight: 7,
        match:
          /\b(?:INVALID_EMAIL|INVALID_OPTION|INVALID_INTEGER|INVALID_DATE|INVALID_LONG|MISSING_REQUIRED_PROPERTY)\b|Property values were not valid|Invalid input JSON/,
      },
      { id: 'hubspot.not_found', class: 'not_found', weight: 7, match: /\bOBJECT_NOT_FOUND\b/ },
      {
        id: 'hubspot.exists',
        class: 'conflict',
        weight: 7,
        match: /\b(?:CONTACT_EXISTS|OBJECT_ALREADY_EXISTS|DUPLICATE_ASSOCIATION)\b|Contact already exists/i,
      },
      {
        id: 'hubspot.batch',
        class: 'payload_too_large',
        weight: 8,
        match:
          /Batch input limit|too many inputs|(?:no|not) more than \d+ (?:inputs|items|records)|\bBATCH_INPUT_LIMIT\b/i,
        note: 'HubSpot batch endpoints accept at most 100 inputs per call',
      },
    ],
  },
  {
    provider: 'stripe',
    rules: [
      {
        id: 'stripe.auth',
        class: 'auth',
        weight: 7,
        match: /Invalid API Key provided|\bapi_key_expired\b|You did not provide an API key/i,
      },
      {
        id: 'stripe.restricted_key',
        class: 'permission',
        weight: 7,
        match: /does not have the required permissions|\bsecret_key_required\b/,
        note: 'the restricted API key lacks a permission this call needs',
      },
      { id: 'stripe.rate_limit', class: 'rate_limit', weight: 7, scoped: true, match: /\brate_limit\b/ },
      {
        id: 'stripe.lock_timeout',
        class: 'conflict',
        weight: 7,
        retryable: true,
        match: /\block_timeout\b|another API request or Stripe process is currently accessing it/,
      },
      {
        id: 'stripe.card_error',
        class: 'validation',
        weight: 7,
        match:
          /\b(?:card_error|card_declined|expired_card|incorrect_cvc|incorrect_number|invalid_cvc|invalid_expiry_(?:month|year)|invalid_number|incorrect_zip)\b|Your card (?:was declined|has expired|'s security code is incorrect)/,
        note: "the customer's card was declined; ask for another payment method",
      },
      // Decline codes that mean something else outside Stripe (insufficient_funds is not a quota here).
      {
        id: 'stripe.decline_code',
        class: 'validation',
        weight: 7,
        scoped: true,
        match:
          /\b(?:insufficient_funds|do_not_honor|generic_decline|fraudulent|lost_card|stolen_card|authentication_required|card_velocity_exceeded|decline_code)\b/,
      },
      { id: 'stripe.processing_error', class: 'upstream_5xx', scoped: true, match: /\bprocessing_error\b/ },
      {
        id: 'stripe.resource_missing',
        class: 'not_found',
        weight: 7,
        match:
          /\bresource_missing\b|No such (?:customer|charge|payment_intent|price|product|subscription|invoice|source|plan|coupon|token|payment_method|refund|setup_intent|checkout\.session)/,
      },
      {
        id: 'stripe.idempotency',
        class: 'conflict',
        weight: 7,
        match:
          /\b(?:idempotency_error|idempotency_key_in_use|resource_already_exists)\b|Keys for idempotent requests can only be used with the same parameters/,
      },
      {
        id: 'stripe.parameters',
        class: 'validation',
        match:
          /\b(?:parameter_missing|parameter_invalid_\w+|parameter_unknown|parameters_exclusive|amount_too_small|amount_too_large|email_invalid|url_invalid|invalid_charge_amount|payment_intent_unexpected_state|invalid_source_usage)\b/,
      },
      {
        id: 'stripe.mode_mismatch',
        class: 'config',
        weight: 9.5,
        match: /similar object exists in (?:live|test) mode|\btestmode_charges_only\b|\blivemode_mismatch\b/,
        note: 'a test-mode key is used against live objects (or vice versa)',
        fix: 'Use the secret key of the same mode as the objects (sk_live_ for live ids, sk_test_ for test ids) in the Stripe connection, or map ids from the matching mode.',
      },
      { id: 'stripe.connection', class: 'network', match: /\bapi_connection_error\b|StripeConnectionError/ },
    ],
  },
  {
    provider: 'shopify',
    rules: [
      {
        id: 'shopify.invalid_token',
        class: 'auth',
        weight: 8,
        match: /Invalid API key or access token|unrecognized login or wrong password/,
        note: 'the Shopify access token is invalid (app uninstalled or token rotated)',
      },
      {
        id: 'shopify.scope',
        class: 'permission',
        weight: 7,
        match: /requires merchant approval for \w+ scope|Access denied for \w+ field|\bACCESS_DENIED\b/,
      },
      {
        id: 'shopify.throttled',
        class: 'rate_limit',
        weight: 7,
        match: /Exceeded \d+ calls per second|\bTHROTTLED\b|"Throttled"/,
      },
      {
        id: 'shopify.query_cost',
        class: 'payload_too_large',
        weight: 7,
        match: /\bMAX_COST_EXCEEDED\b|exceeds the single query max cost limit/,
      },
      {
        id: 'shopify.variant_limit',
        class: 'quota',
        weight: 8,
        match: /Daily variant creation limit reached|variant creation limit/i,
      },
      {
        id: 'shopify.unavailable_shop',
        class: 'quota',
        weight: 6,
        match: /Unavailable Shop|Shop is frozen/i,
      },
    ],
  },
  {
    provider: 'quickbooks',
    rules: [
      {
        id: 'quickbooks.auth',
        class: 'auth',
        weight: 7,
        match: /Authentication ?Failed|errorCode=003200|\b003200\b/i,
      },
      {
        id: 'quickbooks.app_auth',
        class: 'permission',
        weight: 7,
        match: /ApplicationAuthorizationFailed|\b003100\b/,
      },
      { id: 'quickbooks.throttle', class: 'rate_limit', weight: 7, match: /ThrottleExceeded|\b003001\b/ },
      {
        id: 'quickbooks.duplicate',
        class: 'conflict',
        weight: 7,
        match: /Duplicate Name Exists|Stale Object Error|"code"\s*:\s*"(?:6240|5010)"/,
      },
      {
        id: 'quickbooks.business',
        class: 'validation',
        match: /Business Validation Error|Invalid Reference Id|Required param missing/,
      },
      // ValidationFault is the fault type of nearly every QuickBooks business error.
      { id: 'quickbooks.validation_fault', class: 'validation', weight: 3, match: /ValidationFault/ },
      { id: 'quickbooks.not_found', class: 'not_found', match: /Object Not Found|"code"\s*:\s*"610"/ },
    ],
  },
  {
    provider: 'xero',
    rules: [
      {
        id: 'xero.day_limit',
        class: 'quota',
        weight: 8,
        match: /X-Rate-Limit-Problem["']?\s*[:=]?\s*["']?day/i,
        note: "Xero's 5000-calls-per-day limit for this organisation is spent",
      },
      {
        id: 'xero.minute_limit',
        class: 'rate_limit',
        weight: 8,
        match: /X-Rate-Limit-Problem["']?\s*[:=]?\s*["']?(?:minute|appminute|concurrent)/i,
      },
      { id: 'xero.auth', class: 'auth', weight: 7, match: /AuthenticationUnsuccessful|TokenExpired/ },
      { id: 'xero.authorization', class: 'permission', weight: 7, match: /AuthorizationUnsuccessful/ },
      { id: 'xero.offline', class: 'upstream_5xx', match: /OrganisationOffline|Organisation is offline/ },
    ],
  },
  {
    provider: 'pipedrive',
    rules: [
      {
        id: 'pipedrive.payment',
        class: 'quota',
        weight: 7,
        match: /Company account is not open|Payment required/i,
      },
      { id: 'pipedrive.over_limit', class: 'rate_limit', weight: 7, match: /Request over limit/i },
      { id: 'pipedrive.unauthorized', class: 'auth', weight: 6, match: /unauthorized access/i },
    ],
  },
  {
    provider: 'woocommerce',
    rules: [
      {
        id: 'woocommerce.auth',
        class: 'auth',
        weight: 7,
        match:
          /woocommerce_rest_authentication_error|rest_not_logged_in|Consumer key is invalid|provided signature does not match|json_oauth1/,
      },
      {
        id: 'woocommerce.cannot',
        class: 'permission',
        weight: 7,
        match: /woocommerce_rest_cannot_\w+|\brest_cannot_\w+|rest_forbidden/,
      },
      {
        id: 'woocommerce.invalid_id',
        class: 'not_found',
        weight: 7,
        match: /woocommerce_rest_\w+_invalid_id|rest_post_invalid_id/,
      },
      {
        id: 'woocommerce.no_route',
        class: 'config',
        weight: 7,
        match: /\brest_no_route\b/,
        fix: 'Check the store URL and the REST path/version in the step (wp-json/wc/v3), and that pretty permalinks and the WooCommerce REST API are enabled.',
      },
      {
        id: 'woocommerce.invalid_param',
        class: 'validation',
        weight: 7,
        match: /rest_invalid_param|rest_missing_callback_param/,
      },
      {
        id: 'woocommerce.sku',
        class: 'conflict',
        weight: 7,
        match: /product_invalid_sku|woocommerce_rest_\w+_exists|\bterm_exists\b/,
      },
    ],
  },
];
