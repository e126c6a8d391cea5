import type { KeywordRule, ProviderRuleSet } from '../errorRule.ts';

// Misconfiguration: the workflow or its connection points at the wrong place (base URL, region,
// instance, datacenter, portal, tenant), uses the wrong kind of key, or relies on an API, app or
// environment variable that is not set up. None of these pass on a retry, and every rule says which
// setting to change (`fix`). Several ride on envelopes that name another class (Google's
// PERMISSION_DENIED, AWS's signature errors, Salesforce's INVALID_SESSION_ID), so the codes that
// identify the setup problem weigh 9-10 and outvote the envelope.
export const configRules: readonly ProviderRuleSet[] = [
  {
    provider: 'google',
    rules: [
      {
        id: 'google.api_key_restricted',
        class: 'config',
        weight: 10,
        match:
          /\bAPI_KEY_(?:HTTP_REFERRER|IP_ADDRESS|ANDROID_APP|IOS_APP|SERVICE)_BLOCKED\b|Requests from referer [^\s]{0,80} are blocked|Requests to this API [\w.]+ method [\w.]+ are blocked/,
        note: "the Google API key's application or API restrictions do not allow this call",
        fix: 'In Google Cloud Console, APIs & Services > Credentials, allow this API and this caller (server IP, no referer) on the key, or use an unrestricted server key in the connection.',
      },
      {
        id: 'google.firebase_setup',
        class: 'config',
        weight: 9,
        match:
          /auth\/(?:configuration-not-found|operation-not-allowed|unauthorized-domain|project-not-found)\b/,
        note: 'the Firebase project behind the connection is not set up for this sign-in method or domain',
        fix: 'Check the Firebase project id/API key in the connection, enable the sign-in provider under Authentication > Sign-in method and add the domain to Authorized domains.',
      },
    ],
  },
  {
    provider: 'aws',
    rules: [
      {
        id: 'aws.region_mismatch',
        class: 'config',
        weight: 10,
        match:
          /Credential should be scoped to (?:a valid region|correct service)|The bucket is in this region|Inaccessible host:|may not be available in the [`'"]?[\w-]+[`'"]? region|\bInvalidAddress\b|is not valid for this endpoint|Missing region in config/,
        note: 'the region or endpoint set for this AWS connection is not where the resource lives',
        fix: "Set the connection's AWS region (and any custom endpoint) to the resource's region, e.g. the one named in the error, then re-run.",
      },
    ],
  },
  {
    provider: 'salesforce',
    rules: [
      {
        id: 'salesforce.api_disabled',
        class: 'config',
        weight: 9,
        match:
          /\b(?:API_DISABLED_FOR_ORG|API_CURRENTLY_DISABLED)\b|REST API is not enabled for this Organization|API is disabled for this User/,
        note: 'API access is switched off for this Salesforce org or integration user',
        fix: "Turn on 'API Enabled' in the integration user's profile or permission set (Setup > Profiles); orgs on editions without API access need an upgrade.",
      },
      {
        id: 'salesforce.wrong_instance',
        class: 'config',
        weight: 10,
        match: /Destination URL not reset|\bURL_NOT_RESET\b|The URL returned from login must be set/,
        note: "calls go to the login host instead of the org's instance URL",
        fix: 'Send API calls to the instance_url/serverUrl returned at login (not login.salesforce.com or test.salesforce.com); reconnect so the connection stores the right instance.',
      },
    ],
  },
  {
    provider: 'stripe',
    rules: [
      {
        id: 'stripe.webhook_secret',
        class: 'config',
        weight: 9,
        match:
          /StripeSignatureVerificationError|No signatures found matching the expected signature|Unable to extract timestamp and signatures from header/,
        note: 'the webhook signature does not verify with the configured signing secret',
        fix: "Paste this endpoint's own signing secret (whsec_...) from the Stripe dashboard into the webhook trigger and verify the raw, unparsed request body.",
      },
    ],
  },
  {
    provider: 'hubspot',
    rules: [
      {
        id: 'hubspot.portal',
        class: 'config',
        weight: 9,
        match:
          /is not installed in (?:portal|hub|account) \d+|\bMISSING_APP_INSTALLATION\b|portalId in the request URL|(?:belongs to|issued for) (?:a different|another) (?:portal|hub)/i,
        note: 'the step targets a HubSpot portal (Hub ID) the connected app is not installed in',
        fix: 'Set the portal/Hub ID in the step to the account the connection was authorised for, or reconnect HubSpot while signed in to the right account.',
      },
    ],
  },
  {
    provider: 'postgres',
    rules: [
      {
        id: 'postgres.schema',
        class: 'config',
        weight: 8,
        match: /schema "[^"]+" does not exist|\b3F000\b/,
        note: 'the schema named in the connection or search_path does not exist in this database',
        fix: 'Set the schema (search_path) in the connection to one that exists in this database, or point the connection at the database that has it.',
      },
    ],
  },
  {
    provider: 'mongodb',
    rules: [
      {
        id: 'mongodb.connection_string',
        class: 'config',
        weight: 8,
        match:
          /MongoParseError|Invalid scheme, expected connection string|URI must include hostname|Invalid connection string/,
        note: 'the MongoDB connection string is malformed',
        fix: 'Fix the connection string in the MongoDB connection: mongodb:// or mongodb+srv://user:password@host/db, with special characters in the password URL-encoded.',
      },
    ],
  },
  {
    provider: 'mysql',
    rules: [
      {
        id: 'mysql.auth_plugin',
        class: 'config',
        weight: 8,
        match: /ER_NOT_SUPPORTED_AUTH_MODE|Client does not support authentication protocol/,
        note: "the MySQL user's authentication plugin is not one the client supports",
        fix: "Switch the connection's user to an authentication plugin the client supports (ALTER USER ... IDENTIFIED WITH mysql_native_password) or enable TLS for caching_sha2_password.",
      },
    ],
  },
  {
    provider: 'slack',
    rules: [
      {
        id: 'slack.app_installation',
        class: 'config',
        weight: 7,
        match: /\b(?:invalid_team_for_non_distributed_app|team_access_not_granted|org_login_required)\b/,
        note: 'the Slack app is not installed in (or distributed to) the workspace the step targets',
        fix: 'Install the Slack app in that workspace (for an Enterprise Grid org-level app, add it to the workspace in the org admin), or turn on public distribution and reconnect.',
      },
    ],
  },
  {
    provider: 'telegram',
    rules: [
      {
        id: 'telegram.webhook_active',
        class: 'config',
        weight: 8,
        match: /can't use getUpdates method while webhook is active/i,
        note: 'the bot has a webhook set, so polling with getUpdates is refused',
        fix: 'Use one delivery mode per bot: remove the webhook (deleteWebhook) to poll, or switch the trigger to the webhook.',
      },
    ],
  },
  {
    provider: 'twilio',
    rules: [
      {
        id: 'twilio.sender',
        class: 'config',
        weight: 8,
        scoped: true,
        match:
          /\b(?:21212|21703|21704)\b|Messaging Service (?:does not have|contains no) (?:a )?phone numbers?/,
        note: "the step's From number or Messaging Service cannot send from this account",
        fix: "Set the step's From to a Twilio number (or verified sender) of this account, or add a number to the Messaging Service's sender pool.",
      },
    ],
  },
  {
    provider: 'meta',
    rules: [
      {
        id: 'meta.test_recipients',
        class: 'config',
        weight: 8,
        match: /\b131030\b|Recipient phone number not in allowed list/,
        note: 'the WhatsApp test number may only message the recipients on its allowed list',
        fix: 'Add the recipient under WhatsApp > API Setup > To, or switch the connection to a registered production phone number id.',
      },
    ],
  },
  {
    provider: 'openai',
    rules: [
      {
        id: 'azure_openai.deployment_model',
        class: 'config',
        weight: 8,
        match: /\bOperationNotSupported\b|operation does not work with the specified model/,
        note: 'the Azure OpenAI deployment in the step serves a model that cannot do this operation',
        fix: "Set the step's deployment name to a deployment of a model that supports this operation (a chat model for chat completions, an embedding model for embeddings).",
      },
    ],
  },
  {
    provider: 'xero',
    rules: [
      {
        id: 'xero.tenant',
        class: 'config',
        weight: 9,
        match: /xero-tenant-id/i,
        note: 'the Xero organisation (tenant id) sent with the call is missing or not connected',
        fix: "Pick the Xero organisation in the step (xero-tenant-id) from the connection's connected tenants, or reconnect Xero and grant that organisation.",
      },
    ],
  },
];

/** Provider-independent misconfiguration wording; weights above the network/not-found wording it overlaps. */
export const configKeywordRules: readonly KeywordRule[] = [
  {
    id: 'config.env_variable',
    class: 'config',
    weight: 7,
    match:
      /(?:environment|env) variable[\s\w"'`$]{0,40}?(?:is not (?:set|defined)|not (?:set|defined|found)|is missing|must be (?:set|defined|provided))|missing (?:required )?(?:environment|env) variable|\b[A-Z][A-Z0-9]*_[A-Z0-9_]+ (?:is not (?:set|defined)|must be (?:set|defined|provided))\b/,
    note: 'an environment variable or setting the step reads is not set',
    fix: "Define the variable named in the error in the workflow's environment/credentials settings (exact name, no quotes), then re-run.",
  },
  {
    id: 'config.invalid_url',
    class: 'config',
    weight: 7,
    match:
      /Failed to parse URL from|\bERR_INVALID_URL\b|Only absolute URLs are supported|Unsupported protocol/i,
    note: "the step's URL is not a complete absolute URL",
    fix: "Set the step's URL/base URL to a full https:// address; a relative path or an empty placeholder cannot be called.",
  },
  {
    id: 'config.no_route',
    class: 'config',
    weight: 7,
    match:
      /Cannot (?:GET|POST|PUT|PATCH|DELETE) \/|No route (?:was )?found matching|No HTTP resource was found that matches the request URI|Heroku \| No such app|\bNo such app\b/,
    note: 'the server has no route at this path: the base URL or path in the step is wrong',
    fix: "Correct the step's base URL/path (API version prefix, doubled or missing segment, right app host) against the API's documentation.",
  },
  {
    id: 'config.webhook_not_registered',
    class: 'config',
    weight: 8,
    match: /webhook[^.]{0,60}? is not registered|webhook is not registered/i,
    note: 'the webhook URL called is not registered (wrong path or method, or the workflow is not active)',
    fix: 'Use the production webhook URL and HTTP method shown on the trigger, and activate the receiving workflow.',
  },
  {
    id: 'config.field_mapping',
    class: 'config',
    weight: 8,
    match:
      /(?:unknown|invalid|unmapped) field mapping|field mapping [^.]{0,60}?(?:unknown|not found|invalid|does not exist)/i,
    note: "the step's field mapping names a field the target does not have",
    fix: "Re-map the field in the step's field mapping to an existing field of the target (check spelling and the object's current schema).",
  },
  {
    id: 'config.localhost',
    class: 'config',
    weight: 9,
    match: /(?:https?|postgres(?:ql)?|mysql|mongodb|redis):\/\/(?:localhost|127\.0\.0\.1|\[::1\])[:/]/,
    // Only a URL the step was given: a bare `ECONNREFUSED 127.0.0.1` may be a local sidecar or proxy.
    note: 'the step points at localhost, which from the workflow runner is the runner itself',
    fix: "Replace localhost in the step's URL/host with the service's public or private network address.",
  },
  {
    id: 'config.tls_hostname',
    class: 'config',
    weight: 9,
    match:
      /ERR_TLS_CERT_ALTNAME_INVALID|does not match certificate's altnames|is not in the cert's altnames|no alternative certificate subject name matches/i,
    note: "the host name in the step is not covered by the server's certificate (wrong host or unfinished custom domain)",
    fix: "Use the host name the certificate is issued for in the step's URL, or finish the custom domain's certificate setup.",
  },
  {
    id: 'config.api_version',
    class: 'config',
    weight: 6,
    match:
      /\b[\w-]+-version:? header is (?:required|missing|invalid)|(?:invalid|unsupported|unknown) (?:api )?revision|(?:api )?revision [\w-]+ is not supported/i,
    note: 'the API version/revision header the connection sends is missing or not supported',
    fix: 'Set the API version/revision header in the connection to a version the provider currently supports.',
  },
  {
    id: 'config.ip_allowlist',
    class: 'config',
    weight: 7,
    match:
      /unrecogni[sz]ed IP address|IP address [^.]{0,40}(?:not (?:whitelisted|allowlisted|authori[sz]ed|allowed))|authori[sz]ed_ips/i,
    note: "the runner's IP address is not on the provider account's IP allowlist",
    fix: "Add the workflow runner's egress IP addresses to the provider account's authorised IPs (or turn off IP restriction for this key).",
  },
  {
    id: 'config.account_mismatch',
    class: 'config',
    weight: 8,
    match: /\bUSER_DOES_NOT_BELONG_TO_SPECIFIED_ACCOUNT\b/,
    note: 'the account/organisation id configured does not belong to the connected user',
    fix: "Set the account/organisation id in the connection to one the connected user belongs to (and the matching environment's base URL).",
  },
  {
    id: 'config.redis_topology',
    class: 'config',
    weight: 7,
    match: /\bMOVED \d+ [\w.-]+:\d+|DB index is out of range|SELECT is not allowed in cluster mode/,
    note: 'the Redis connection does not match the server: a cluster endpoint used as a single node, or a database index the server does not have',
    fix: 'Turn on cluster mode in the Redis connection for a cluster endpoint, and use database index 0 (clusters have only db 0).',
  },
];

/**
 * Domains where the first label is the customer's own (project, shop, site, cluster): a DNS
 * failure there means that tenant name does not exist, not that the provider is down.
 */
export const tenantDomains =
  /\.(?:supabase\.co|myshopify\.com|atlassian\.net|zendesk\.com|freshdesk\.com|my\.salesforce\.com|force\.com|herokuapp\.com|azurewebsites\.net|openai\.azure\.com|vercel\.app|netlify\.app|api\.mailchimp\.com)$/i;
