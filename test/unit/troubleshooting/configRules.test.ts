import { describe, expect, it } from 'vitest';
import { classifyError } from '../../../src/core/troubleshooting/classifyError.ts';
import { configKeywordRules, configRules } from '../../../src/core/troubleshooting/errorRules/configRules.ts';
import { keywordRules } from '../../../src/core/troubleshooting/errorRules/keywordRules.ts';
import { providerRuleSets } from '../../../src/core/troubleshooting/errorRules/providerRuleSets.ts';

// One realistic message per configuration rule: [service, log, HTTP status, rule expected to decide].
const cases: readonly (readonly [string, string, number | null, string])[] = [
  [
    'google_sheets',
    '{"error":{"code":403,"message":"Requests from referer <empty> are blocked.","status":"PERMISSION_DENIED","details":[{"reason":"API_KEY_HTTP_REFERRER_BLOCKED"}]}}',
    403,
    'google.api_key_restricted',
  ],
  ['firebase', 'FirebaseError: Firebase: Error (auth/operation-not-allowed).', 400, 'google.firebase_setup'],
  [
    'aws_kinesis',
    'InvalidSignatureException: Credential should be scoped to a valid region.',
    400,
    'aws.region_mismatch',
  ],
  [
    'salesforce',
    '[{"message":"The REST API is not enabled for this Organization.","errorCode":"API_DISABLED_FOR_ORG"}]',
    403,
    'salesforce.api_disabled',
  ],
  [
    'salesforce',
    'INVALID_SESSION_ID: Destination URL not reset. The URL returned from login must be set in the SforceService',
    500,
    'salesforce.wrong_instance',
  ],
  [
    'stripe',
    'StripeSignatureVerificationError: No signatures found matching the expected signature for payload.',
    400,
    'stripe.webhook_secret',
  ],
  [
    'hubspot',
    '{"status":"error","message":"The app 281 is not installed in portal 98765.","category":"MISSING_APP_INSTALLATION"}',
    403,
    'hubspot.portal',
  ],
  ['postgres', 'error: schema "analytics" does not exist', null, 'postgres.schema'],
  [
    'mongodb',
    'MongoParseError: URI must include hostname, domain name, and tld',
    null,
    'mongodb.connection_string',
  ],
  [
    'mysql',
    'Error: ER_NOT_SUPPORTED_AUTH_MODE: Client does not support authentication protocol requested by server',
    null,
    'mysql.auth_plugin',
  ],
  ['slack', '{"ok":false,"error":"team_access_not_granted"}', 200, 'slack.app_installation'],
  [
    'telegram',
    '{"ok":false,"error_code":409,"description":"Conflict: can\'t use getUpdates method while webhook is active; use deleteWebhook to delete the webhook first"}',
    409,
    'telegram.webhook_active',
  ],
  [
    'twilio',
    '{"code":21212,"message":"The \'From\' number +1500 is not a valid phone number"}',
    400,
    'twilio.sender',
  ],
  [
    'whatsapp',
    '{"error":{"message":"(#131030) Recipient phone number not in allowed list","code":131030}}',
    400,
    'meta.test_recipients',
  ],
  [
    'azure_openai',
    '{"error":{"code":"OperationNotSupported","message":"The chatCompletion operation does not work with the specified model"}}',
    400,
    'azure_openai.deployment_model',
  ],
  [
    'xero',
    '{"Title":"Forbidden","Detail":"AuthorizationUnsuccessful: xero-tenant-id header is missing"}',
    403,
    'xero.tenant',
  ],
  ['discord', '{"message":"Invalid Webhook Token","code":50027}', 401, 'discord.invalid_webhook_token'],
  ['airtable', 'ConfigError: AIRTABLE_BASE_ID must be set', null, 'config.env_variable'],
  ['http', 'TypeError: Failed to parse URL from /api/v1/orders', null, 'config.invalid_url'],
  [
    'http',
    '{"message":"Cannot GET /v1/v1/orders","error":"Not Found","statusCode":404}',
    404,
    'config.no_route',
  ],
  [
    'n8n',
    '{"code":404,"message":"This webhook is not registered for POST requests."}',
    404,
    'config.webhook_not_registered',
  ],
  ['http', "unknown field mapping 'email_adress' in step Create contact", null, 'config.field_mapping'],
  [
    'http',
    'FetchError: request to http://localhost:3000/api failed, reason: connect ECONNREFUSED 127.0.0.1:3000',
    null,
    'config.localhost',
  ],
  [
    'http',
    "Error [ERR_TLS_CERT_ALTNAME_INVALID]: Hostname/IP does not match certificate's altnames",
    null,
    'config.tls_hostname',
  ],
  [
    'anthropic',
    '{"type":"error","error":{"type":"invalid_request_error","message":"anthropic-version: header is required"}}',
    400,
    'config.api_version',
  ],
  [
    'brevo',
    '{"code":"unauthorized","message":"We have detected you are using an unrecognised IP address 203.0.113.7"}',
    401,
    'config.ip_allowlist',
  ],
  ['docusign', '{"errorCode":"USER_DOES_NOT_BELONG_TO_SPECIFIED_ACCOUNT"}', 400, 'config.account_mismatch'],
  ['redis', 'ReplyError: MOVED 3999 10.0.3.12:6381', null, 'config.redis_topology'],
  [
    'zendesk',
    '{"error":"FeatureNotEnabled","description":"Help Center is not enabled for this account"}',
    403,
    'config.service_not_enabled',
  ],
  ['vertex_ai', '{"error":{"code":400,"message":"Unsupported region: me-central3"}}', 400, 'config.region'],
  [
    'azure_openai',
    '{"error":{"code":"DeploymentNotFound","message":"The API deployment for this resource does not exist."}}',
    404,
    'config.target_missing',
  ],
  ['http', 'ActionController::RoutingError (No route matches [GET] "/api/v3/items")', 404, 'config.route'],
  [
    'http',
    '<!DOCTYPE html><html><head><title>Page not found · Acme</title></head><body><h1>Oops!</h1></body></html>',
    404,
    'config.html_page',
  ],
  [
    'http',
    'FetchError: invalid json response body at https://acme.io/api/orders reason: Unexpected token < in JSON at position 0',
    null,
    'config.html_instead_of_json',
  ],
  ['http', '{"message":"This app is currently unavailable"}', 404, 'config.unavailable_address'],
  [
    'http',
    'pydantic_core._pydantic_core.ValidationError: 2 validation errors for AppSettings\ncrm_base_url\n  Field required',
    null,
    'config.settings_invalid',
  ],
  ['aws_s3', 'NoCredentialsError: Unable to locate credentials', null, 'config.credentials_not_set'],
  ['make', 'Error: no scenario is listening for this webhook', 410, 'config.webhook_receiver'],
  [
    'smtp',
    'Error: 8C3A0000:error:0A00010B:SSL routines:ssl3_get_record:wrong version number',
    null,
    'config.tls_port',
  ],
  [
    'okta',
    '{"errorCode":"invalid_client","errorSummary":"The client_id is not valid for this authorization server."}',
    400,
    'config.wrong_authority',
  ],
  ['aws_sqs', 'Error: getaddrinfo ENOTFOUND sqs.us-eest-1.amazonaws.com', null, 'config.aws_region'],
  ['postgres', 'Error: Environment variable not found: DATABASE_URL.', null, 'config.env_variable'],
  [
    'stripe',
    '{"error":{"message":"Invalid Stripe API version: 2020-99-01","type":"invalid_request_error"}}',
    400,
    'config.api_version',
  ],
  [
    'aws_bedrock',
    'ValidationException: The provided model identifier is invalid.',
    400,
    'aws.bedrock_model_setup',
  ],
  [
    'google_bigquery',
    '{"error":{"code":403,"message":"Billing is disabled for this project.","status":"PERMISSION_DENIED","details":[{"reason":"BILLING_DISABLED"}]}}',
    403,
    'google.billing_disabled',
  ],
  ['smtp', 'Error: 530 5.7.0 Must issue a STARTTLS command first', null, 'config.tls_port'],
  ['http', 'Error: DATABASE_URL is undefined', null, 'config.env_variable'],
  [
    'paypal',
    'The live credentials were used against the sandbox endpoint: use api-m.paypal.com for live',
    401,
    'config.wrong_authority',
  ],
  [
    'http',
    'TypeError [ERR_INVALID_PROTOCOL]: Protocol "https:" not supported. Expected "http:"',
    null,
    'config.invalid_url',
  ],
  [
    'braintree',
    'Braintree::ConfigurationError: Braintree::Configuration.public_key needs to be set',
    null,
    'config.settings_invalid',
  ],
  ['aws_apigateway', '{"message":"Missing Authentication Token"}', 403, 'aws.apigateway_route'],
  [
    'http',
    "requests.exceptions.MissingSchema: Invalid URL '/v2/items': No scheme supplied.",
    null,
    'config.invalid_url',
  ],
  [
    'azure_blob',
    'CredentialUnavailableError: DefaultAzureCredential failed to retrieve a token: credential is unavailable',
    null,
    'config.credentials_not_set',
  ],
  [
    'microsoft_graph',
    '{"error":{"code":"BadRequest","message":"/me request is only valid with delegated authentication flow."}}',
    400,
    'config.wrong_authority',
  ],
  [
    'hubspot',
    '{"status":"error","message":"Unable to infer object type from: dealz","category":"OBJECT_NOT_FOUND"}',
    400,
    'config.route',
  ],
  [
    'redis',
    "ReplyError: ERR unknown command 'FT.SEARCH', with args beginning with: 'idx'",
    null,
    'config.server_feature',
  ],
  [
    'aws_ssm',
    'ParameterNotFound: Parameter /pulse/staging/hubspot-token not found.',
    400,
    'config.secret_missing',
  ],
  ['http', "Error: ENOENT: no such file or directory, open '/app/.env'", null, 'config.settings_file'],
  [
    'google_pubsub',
    'Error: 3 INVALID_ARGUMENT: Invalid resource name given (name=projects/{{ $env.GCP_PROJECT }}/topics/orders).',
    null,
    'config.unfilled_placeholder',
  ],
  ['redis', 'ReplyError: Protocol error, got "H" as reply type byte', null, 'config.wrong_server'],
  ['http', '{"message":"no Route matched with those values"}', 404, 'config.route'],
  [
    'postgres',
    'error: SSL connection is required. Please specify SSL options and retry.',
    null,
    'config.tls_port',
  ],
  ['http', 'FetchError: request to http://null/v1/contacts failed', null, 'config.unfilled_placeholder'],
  [
    'stripe',
    'Error: apiKey is required\n    at new Stripe (/app/node_modules/stripe/cjs/stripe.core.js:95:19)',
    null,
    'config.credentials_not_set',
  ],
  [
    'google_bigquery',
    'Not found: Table acme:events.daily was found in location EU but the job was submitted to location US',
    404,
    'config.region',
  ],
  // Unknown field names: the step's field mapping names a field the target does not have.
  [
    'airtable',
    '{"error":{"type":"UNKNOWN_FIELD_NAME","message":"Unknown field name: \\"Emial\\""}}',
    422,
    'airtable.unknown_field',
  ],
  [
    'hubspot',
    '{"status":"error","message":"Property \\"favourite_colour\\" does not exist","category":"VALIDATION_ERROR","errors":[{"code":"PROPERTY_DOESNT_EXIST"}]}',
    400,
    'hubspot.unknown_property',
  ],
  [
    'salesforce',
    '[{"message":"No such column \'Rating__c\' on entity \'Lead\'.","errorCode":"INVALID_FIELD"}]',
    400,
    'salesforce.unknown_field',
  ],
  [
    'mysql',
    "Error: ER_BAD_FIELD_ERROR: Unknown column 'emial' in 'field list'",
    null,
    'mysql.unknown_column',
  ],
  ['postgres', 'error: column "sorce" of relation "leads" does not exist', null, 'postgres.undefined_column'],
  [
    'notion',
    '{"object":"error","status":400,"code":"validation_error","message":"Priorty is not a property that exists."}',
    400,
    'config.unknown_field',
  ],
];

describe('configuration rules', () => {
  it.each(cases)('%s %j (HTTP %s) -> config via %s', (service, log, httpStatus, rule) => {
    const result = classifyError({ service, log, httpStatus });
    expect(result.class).toBe('config');
    expect(result.matched.find((m) => m.class === 'config')?.rule).toBe(rule);
  });

  it('never auto-resolves a configuration error and tells which setting to change', () => {
    for (const [service, log, httpStatus, rule] of cases) {
      const result = classifyError({ service, log, httpStatus });
      expect(result.autoResolvable, rule).toBe(false);
      expect(result.retryable, rule).toBe(false);
      expect(result.resolution.action, rule).toBe('fix_configuration');
      const fix = [...configRules.flatMap((s) => s.rules), ...configKeywordRules].find(
        (r) => r.id === rule,
      )?.fix;
      if (fix !== undefined) expect(result.resolution.instructions, rule).toContain(fix);
    }
  });

  it('gives every config rule, old and new, a fix naming the setting', () => {
    const all = [...providerRuleSets.flatMap((s) => s.rules), ...keywordRules, ...configKeywordRules];
    const missing = all.filter((r) => r.class === 'config' && (r.fix === undefined || r.fix.length < 20));
    expect(missing.map((r) => r.id)).toEqual([]);
  });
});

describe('unresolvable hosts', () => {
  const classOf = (service: string, log: string): string =>
    classifyError({ service, log, httpStatus: null }).class;

  it("is a network blip on the provider's own API host", () => {
    expect(classOf('hubspot', 'getaddrinfo ENOTFOUND api.hubapi.com')).toBe('network');
    expect(classOf('http', 'getaddrinfo ENOTFOUND hooks.acme-internal.io')).toBe('network');
  });

  it('is configuration for a host that is not the provider, a placeholder or a missing tenant', () => {
    expect(classOf('jira', 'Error: getaddrinfo ENOTFOUND acme.atlasian.net')).toBe('config');
    expect(classOf('http', 'Error: getaddrinfo ENOTFOUND undefined')).toBe('config');
    expect(classOf('mailchimp', 'getaddrinfo ENOTFOUND undefined.api.mailchimp.com')).toBe('config');
    expect(classOf('supabase', 'getaddrinfo ENOTFOUND xyzcompanyabc.supabase.co')).toBe('config');
    expect(
      classOf('mongodb', 'MongoServerSelectionError: getaddrinfo ENOTFOUND cluster9.qwert.mongodb.net'),
    ).toBe('config');
  });

  it('is configuration for an AWS endpoint whose region does not exist, network for a real one', () => {
    expect(
      classOf('aws_sqs', 'Could not connect to the endpoint URL: "https://sqs.eu-wets-1.amazonaws.com/"'),
    ).toBe('config');
    expect(
      classOf('aws_sqs', 'Could not connect to the endpoint URL: "https://sqs.eu-west-1.amazonaws.com/"'),
    ).toBe('network');
  });

  it('keeps a bare refused loopback connection (a sidecar or proxy) as network', () => {
    expect(classOf('http', 'connect ECONNREFUSED 127.0.0.1:443')).toBe('network');
  });
});

describe('look-alikes stay in their class', () => {
  it.each([
    ['slack', '{"ok":false,"error":"channel_not_found"}', 200, 'not_found'],
    [
      'stripe',
      '{"error":{"code":"resource_missing","message":"No such customer: \'cus_1\'"}}',
      404,
      'not_found',
    ],
    ['postgres', 'error: relation "staging.orders_tmp" does not exist', null, 'not_found'],
    // A value the field cannot take is the user's data; a field name the target lacks is the mapping.
    [
      'airtable',
      '{"error":{"type":"INVALID_VALUE_FOR_COLUMN","message":"Field \\"Amount\\" cannot accept the provided value"}}',
      422,
      'validation',
    ],
    [
      'hubspot',
      '{"status":"error","message":"Property values were not valid: [{\\"error\\":\\"INVALID_OPTION\\",\\"name\\":\\"hs_lead_status\\"}]","category":"VALIDATION_ERROR"}',
      400,
      'validation',
    ],
    [
      'postgres',
      'error: null value in column "email" of relation "leads" violates not-null constraint',
      null,
      'validation',
    ],
    ['mysql', "Error: ER_NO_SUCH_TABLE: Table 'shop.order_items' doesn't exist", null, 'not_found'],
    ['jira', 'Your Jira Cloud site is currently unavailable. 503 Service Unavailable', 503, 'upstream_5xx'],
    [
      'http',
      '<html><head><title>502 Bad Gateway</title></head><body><center><h1>502 Bad Gateway</h1></center></body></html>',
      502,
      'upstream_5xx',
    ],
    [
      'aws_s3',
      'EndpointConnectionError: Could not connect to the endpoint URL: "https://s3.eu-west-1.amazonaws.com/acme"',
      null,
      'network',
    ],
    ['gitlab', '{"message":"404 Project Not Found"}', 404, 'not_found'],
    [
      'github',
      '{"message":"Not Found","documentation_url":"https://docs.github.com/rest"}',
      404,
      'not_found',
    ],
    [
      'google_calendar',
      '{"error":{"code":403,"message":"The caller does not have permission","status":"PERMISSION_DENIED"}}',
      403,
      'permission',
    ],
    ['slack', '{"ok":false,"error":"account_inactive"}', 200, 'auth'],
  ] as const)('%s %j -> %s', (service, log, httpStatus, expected) => {
    expect(classifyError({ service, log, httpStatus }).class).toBe(expected);
  });

  it.each([
    ['http', '{"error":"Image URL not found: https://cdn.acme.io/x.png"}', 400],
    ['google_calendar', '{"error":{"code":400,"message":"Invalid location: the room is required"}}', 400],
    ['salesforce', 'INVALID_LOGIN: Invalid username, password, security token; or user locked out.', 500],
    ['http', 'Error: The user account for this service has been disabled', 403],
  ] as const)('%s %j is not configuration', (service, log, httpStatus) => {
    expect(classifyError({ service, log, httpStatus }).class).not.toBe('config');
  });
});
