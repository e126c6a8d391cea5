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
        id: 'google.billing_disabled',
        class: 'config',
        weight: 10,
        match:
          /\bBILLING_DISABLED\b|requires billing to be enabled|billing (?:is )?(?:not enabled|disabled) (?:for|on) (?:this |the )?project/i,
        note: 'the Google Cloud project the connection uses has no billing account, so the API refuses the call',
        fix: 'Link a billing account to the project in Google Cloud Console > Billing (or point the connection at the project that has one), then re-run.',
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
        // API Gateway answers a path or stage it has no route for with this, not with a 404.
        id: 'aws.apigateway_route',
        class: 'config',
        weight: 8,
        match: /Missing Authentication Token/,
        note: 'API Gateway has no route for this path, stage or method (it reports that as a missing token)',
        fix: "Check the step's invoke URL: the stage name, resource path and HTTP method must match a deployed API Gateway route.",
      },
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
  // Unknown field names: the step's field mapping (or query) names a field, column or property the
  // target object does not have. The field name is part of the workflow's setup, not the user's
  // data, so these outvote the validation envelopes they arrive in (HubSpot's VALIDATION_ERROR).
  {
    provider: 'hubspot',
    rules: [
      {
        id: 'hubspot.unknown_property',
        class: 'config',
        weight: 10,
        match: /\bPROPERTY_DOESNT_EXIST\b/,
        note: 'the step maps a HubSpot property that does not exist on this object',
        fix: "Re-map the field to an existing HubSpot property's internal name (Settings > Properties), or create the property, then re-run.",
      },
    ],
  },
  {
    provider: 'airtable',
    rules: [
      {
        id: 'airtable.unknown_field',
        class: 'config',
        weight: 10,
        match: /\bUNKNOWN_FIELD_NAME\b/,
        note: 'the step maps an Airtable field name that the table does not have',
        fix: 'Re-map the field to a column that exists in the Airtable table (names are case- and space-sensitive; renamed columns break the mapping), then re-run.',
      },
    ],
  },
  {
    provider: 'salesforce',
    rules: [
      {
        id: 'salesforce.unknown_field',
        class: 'config',
        weight: 9,
        match: /\bINVALID_FIELD\b|No such column '[^']+' on (?:entity|sobject)/,
        note: 'the step maps or queries a Salesforce field that does not exist on this object',
        fix: "Re-map the field to its API name on the object (custom fields end in __c) or fix the query's field list, then re-run.",
      },
    ],
  },
  {
    provider: 'mysql',
    rules: [
      {
        id: 'mysql.unknown_column',
        class: 'config',
        weight: 9,
        match: /\bER_BAD_FIELD_ERROR\b|Unknown column '[^']+' in/,
        note: 'the step writes or reads a column the table does not have',
        fix: "Re-map the step's columns to the table's current columns (or add the column), then re-run.",
      },
    ],
  },
  {
    provider: 'postgres',
    rules: [
      {
        id: 'postgres.undefined_column',
        class: 'config',
        weight: 9,
        match: /column "[^"]+"(?: of relation "[^"]+")? does not exist|\b42703\b/,
        note: 'the step writes or reads a column the table does not have',
        fix: "Re-map the step's columns to the table's current columns (or add the column), then re-run.",
      },
    ],
  },
  {
    provider: 'aws',
    rules: [
      {
        id: 'aws.bedrock_model_setup',
        class: 'config',
        weight: 9,
        match:
          /with on-demand throughput isn.t supported|inference profile|provided model identifier is invalid/,
        note: 'the Bedrock model id in the step cannot be invoked this way in this account/region',
        fix: "Set the step's model to an inference profile id/ARN (e.g. us.anthropic...) or a model enabled in this region under Bedrock > Model access.",
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
    // Case-sensitive on purpose: ALL_CAPS_WITH_UNDERSCORES is how variables are named.
    match:
      /(?:[Ee]nvironment|[Ee]nv|ENV) variables?[\s\w"'`$]{0,40}?(?:is not (?:set|defined)|not (?:set|defined|found)|(?:is|are) missing|must be (?:set|defined|provided))|(?:[Mm]issing|[Ii]nvalid|[Uu]ndefined|[Uu]nset) (?:required )?(?:environment|env) variables?|\b[A-Z][A-Z0-9]*_[A-Z0-9_]+\b["'`]? (?:is not (?:set|defined)|must be (?:set|defined|provided))\b|variable is not set\. Defaulting|KeyError: ['"][A-Z][A-Z0-9]*_[A-Z0-9_]+['"]|os\.environ\[|Could not resolve placeholder|\b(?:[Ss]et(?:ting)?|[Dd]efine|[Pp]rovide) (?:the )?[A-Z][A-Z0-9]*_[A-Z0-9_]+\b|\b[A-Z][A-Z0-9]*_[A-Z0-9_]+ (?:environment|env) variable|\b[A-Z][A-Z0-9]*_[A-Z0-9_]+\b["'`]? (?:is (?:undefined|empty|missing|required)|not found\. Declare|missing value)|(?:required|missing) (?:key|variable|setting|secret) ["'`]?[A-Z][A-Z0-9]*_[A-Z0-9_]+|key not found: ["'`][A-Z][A-Z0-9]*_[A-Z0-9_]+|[Rr]equires env access|\bas envvar\b/,
    note: 'an environment variable or setting the step reads is not set',
    fix: "Define the variable named in the error in the workflow's environment/credentials settings (exact name, no quotes), then re-run.",
  },
  {
    id: 'config.invalid_url',
    class: 'config',
    weight: 7,
    match:
      /Failed to parse URL from|\bERR_INVALID_URL\b|\bERR_INVALID_PROTOCOL\b|Protocol "?\w+:"? not supported|Only absolute URLs are supported|Unsupported protocol|No connection adapters were found|No scheme supplied|\b(?:MissingSchema|InvalidSchema|LocationParseError)\b|URL using bad\/illegal format|<url> malformed|malformed URL|URL (?:is )?malformed|Request path contains unescaped characters|ERR_UNESCAPED_CHARACTERS/i,
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
    weight: 7,
    match:
      /\b[\w-]+-version:? header is (?:required|missing|invalid)|(?:invalid|unsupported|unknown) (?:api )?revision|(?:api )?revision [\w-]+ is not supported|InvalidApiVersion|api-version ['"]?[\w.-]+['"]? is (?:invalid|not supported)|(?:invalid|unsupported|unknown) (?:[\w]+ )?API version|invalid version in [\w-]*version header|invalid (?:api )?version: ?v?\d|deprecated version of|(?:endpoint|API|version|method)[^.\n]{0,30}(?:has been|is|was) (?:sunset|retired|decommissioned|discontinued)/i,
    note: 'the API version/revision header the connection sends is missing or not supported',
    fix: 'Set the API version/revision header in the connection to a version the provider currently supports.',
  },
  {
    id: 'config.ip_allowlist',
    class: 'config',
    weight: 7,
    match:
      /unrecogni[sz]ed IP address|IP address [^.]{0,40}(?:not (?:whitelisted|allowlisted|authori[sz]ed|allowed))|authori[sz]ed_ips|no pg_hba\.conf entry for host/i,
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
  {
    id: 'config.unknown_field',
    class: 'config',
    weight: 8,
    match:
      /(?:unknown|no such|nonexistent|non-existent|undefined|unrecogni[sz]ed) (?:custom )?(?:field|column|property|attribute)(?: name| key| id)?\b|invalid (?:custom )?(?:field|column|property|attribute) name|is not a valid (?:field|column|property|attribute)\b|invalid identifier ['"]|["']: invalid identifier|has no (?:column|field|property) named|Unrecognized name: |(?:could not|cannot|can't|unable to) find (?:a |the )?(?:custom )?(?:field|column|property|attribute)(?: named)?\b|(?:custom )?(?:field|column|property|attribute)(?: ID| key| name)?\s+[\\'"`]*[\w.$-]{1,60}[\\'"`]*(?: of (?:relation|table|object) [\\'"`]*[\w.$-]+[\\'"`]*)?\s+(?:does not exist|doesn't exist|not found|was not found|is unknown)|is not a property that exists|cannot query field|(?:column|field|property)(?: ID)? doesn't exist for|(?:column|field|propert(?:y|ies))(?: names?)? (?:were|was|have been|has been) (?:updated|changed|renamed|removed|deleted)/i,
    note: "the step's field mapping names a field, column or property the target does not have",
    fix: 'Re-map the field in the step to one that exists on the target (check spelling, API/internal name and whether it was renamed or deleted), or create the field, then re-run.',
  },
  {
    id: 'config.service_not_enabled',
    class: 'config',
    weight: 7.5,
    match:
      /(?<!for (?:this|the|your) )\b(?:API|service|product|feature|functionality|integration|workflow|trigger|module|plugin)s?\b(?:(?!account|user|member|key|token|password)[^.\n]){0,40}?\b(?:(?:is|are|has been|was) (?:currently )?(?:disabled|turned off|deactivated)|(?:is|are|has) not (?:been )?(?:enabled|activated|turned on|provisioned|set up))|\b(?:API|service|feature)s? not enabled|not (?:enabled|activated|provisioned) for (?:this|the|your) (?:project|organi[sz]ation|org|account|subscription|app|application|tenant|workspace|store|shop|[\w ]{0,30}API)|not authori[sz]ed to use this (?:API|service)|not registered to use|no registered (?:resource )?provider|\bMissingSubscriptionRegistration\b|requires billing to be enabled|\bBILLING_DISABLED\b|cannot be triggered because it is disabled/i,
    note: 'the API, service or feature the step uses is not enabled for this project or account',
    fix: "Enable the API/service/feature named in the error in the provider's console for the project or account the connection uses (or point the connection at the project where it is enabled), then re-run.",
  },
  {
    id: 'config.region',
    class: 'config',
    weight: 7.5,
    match:
      /(?:unsupported|invalid|unknown|wrong|incorrect|missing) (?:aws )?(?:region|datacenter|data center|data centre)|unsupported location|\bregion[\s'"`]*[\w-]*[\s'"`]*(?:is )?(?:not (?:available|supported|valid|enabled|allowed)|is invalid|is missing|is required)|\blocation[\s'"`]*[\w-]*[\s'"`]*is not (?:available|supported|enabled) for|must specify a region|\bNoRegionError\b|not (?:found|available|supported) in (?:the )?(?:location|region)|was not found in location|(?:wrong|different|another|correct) (?:regional )?(?:API )?(?:endpoint|region|datacenter|data center)|\bLocationNotAvailable|regional (?:API )?endpoint|hosted in (?:the |an? )?[\w-]{2,10} (?:region|data ?cent(?:er|re)|datacenter)|(?:send|direct|make) (?:all )?(?:future )?(?:requests|calls|api calls) to (?:this endpoint|https?:\/\/)|availability zone: ?\[?[a-z]{2}-|found in (?:location|region) [\w-]+ but|submitted to (?:location|region) [\w-]+|set the (?:job )?(?:location|region) to|(?:key|token|account|credentials?) belongs to (?:the |a |another |a different )?[\w.-]*\s?(?:site|region|data ?cent(?:er|re)|datacenter)|(?:found|available|supported) for (?:the )?location ['"]/i,
    note: 'the region, location or datacenter set for the connection does not match where the resource or API lives',
    fix: "Set the connection's region/location (or the regional base URL) to the one the account or resource belongs to, as named in the error, then re-run.",
  },
  {
    id: 'config.target_missing',
    class: 'config',
    // Setup-level names only, so this outvotes a provider's generic not-found code on the same line.
    weight: 10,
    match:
      /(?<![\w.'"`/-])(?:subscription|tenant|deployment|database|resource principal|integrator key|user pool|key vault|workspace|environment(?! variable)|instance|site|shop|web app|help desk|subdomain)\b(?: (?:named|with (?:id|name)|for this resource))?(?:[\s:]+['"`]?[\w.@:/-]+['"`]?)?\s+(?:(?:was|is|could) )?(?:not (?:be )?found|does not exist|doesn't exist|could not be found|no longer exists)|\bNot found: (?:Project|Subscription|Tenant|Database)\b|\b(?:Subscription|Deployment|Tenant|Workspace|Database|Environment|Instance)NotFound\b|\b(?:DEPLOYMENT|TENANT|WORKSPACE|DATABASE|INSTANCE)_NOT_FOUND\b|\bUNKNOWN_DATABASE\b|unknown database/i,
    note: 'the project, tenant, subscription, database, deployment or site the connection points at does not exist',
    fix: 'Correct the project/tenant/subscription/database/deployment id or site name in the connection or step (check for typos and the right account), then re-run.',
  },
  {
    id: 'config.route',
    class: 'config',
    weight: 9,
    match:
      /No route matches|didn.t match any of these|Using the URLconf|\broute [^\s]{1,80} could not be found|not supported for route|Unknown path components|\bINVALID_URL_PATTERN\b|check (?:if|that|whether) the URL|no (?:such )?(?:route|API endpoint|endpoint) (?:found|exists|matches|for)|(?:API )?(?:endpoint|route) (?:does not exist|was not found|not found|is not (?:valid|supported|recogni[sz]ed))|requested URL [^\s]* ?was not found|(?:unrecogni[sz]ed|unknown) (?:request )?(?:url|path|endpoint|route)\b|<pre>Cannot (?:GET|POST|PUT|PATCH|DELETE|HEAD|OPTIONS) \/|not found for the segment|URL contains a typographical error|entered the URL manually|not supported (?:in|on|by) the [\w/.-]+ endpoint|Did you mean to use [\w/.-]*\/[\w/.-]+|unable to infer object type|(?:unknown|invalid|unsupported) object type|no (?:handler|matching route|route)s? (?:for|matched|matches|found)|route entry not found/i,
    note: 'the server has no such route: the base URL, API path or HTTP method in the step is wrong',
    fix: "Correct the step's base URL and path (API version prefix, spelling, doubled or missing segment) and method against the API's documentation, then re-run.",
  },
  {
    // A JSON API does not answer a missing record with a web page: an HTML page on 404/405 (or on a
    // success the step could not parse) means the URL points at a website or a wrong path.
    id: 'config.html_page',
    class: 'config',
    weight: 7,
    statuses: [200, 404, 405, 410],
    match: /<!DOCTYPE html|<html[\s>]|<title>/i,
    note: 'an HTML page answered where the API was expected: the base URL points at a website, a wrong path or a tenant that does not exist',
    fix: "Set the step's base URL to the provider's API host and path (not the web app's address), with the right tenant/site name, then re-run.",
  },
  {
    id: 'config.html_instead_of_json',
    class: 'config',
    weight: 4.5,
    match:
      /Unexpected token '?<'?|"<!DOCTYPE[^"]{0,20}"\.{3} is not valid JSON|invalid json response body[^\n]{0,120}<|Unexpected token < in JSON/i,
    note: 'the response was an HTML page, not JSON: the base URL or path points at a website',
    fix: "Set the step's base URL to the provider's API host and path (not the web app's address), then re-run.",
  },
  {
    // "Unavailable" on a 404 is not an outage: nothing is served at that address.
    id: 'config.unavailable_address',
    class: 'config',
    weight: 6,
    statuses: [404, 410],
    match:
      /\b(?:site|shop|store|app|application|service|tenant|instance|workspace|domain|host|server|endpoint)\b (?:is )?(?:temporarily |currently )?(?:unavailable|offline|not available|no longer (?:available|active))/i,
    note: 'the address answers 404 "unavailable": the site, tenant or app at that URL does not exist',
    fix: 'Check the site/tenant name and base URL in the connection (a renamed or deleted site answers like this), then re-run.',
  },
  {
    id: 'config.settings_invalid',
    class: 'config',
    // Under config.env_variable: when the variable is named, its fix is the more precise one.
    weight: 6.5,
    match:
      /validation errors? for (?:\w*Settings|\w*Config(?:uration)?|Env\w*)\b|config(?:uration)? validation error|Could not resolve placeholder|\b\w*Config(?:uration)?Error\b|(?:Configuration|Config|Settings)\.\w+ (?:needs to|must) be (?:set|configured)/,
    note: "the runner's own settings failed validation: a required setting or variable is missing or malformed",
    fix: "Set the setting named in the error in the workflow's environment/credentials settings, then re-run.",
  },
  {
    id: 'config.credentials_not_set',
    class: 'config',
    weight: 7,
    match:
      /Unable to locate credentials|\bNoCredentialsError\b|(?:does not have|has no|without) any credentials|no credentials (?:set|configured|selected|were provided)|credentials (?:are |were )?not (?:set|configured|selected)|Missing credentials in config|\bsecret ["'`]?[\w./-]+["'`]? (?:not found|does not exist)|can't find the specified secret|(?:could not load|unable to load|not find) (?:the )?default credentials|default credentials (?:were )?not found|\bCredentialUnavailable(?:Error)?\b|credential (?:is )?unavailable|authentication unavailable|Resolved credential object is not valid|(?:which|that) is not set by default|(?:client )?password must be a string|(?:is required|must be (?:set|provided)|was not provided)[^\n]{0,80}\n\s*at new (?!Promise\b)[A-Z]\w*/i,
    note: 'no credentials are configured for this step (nothing was rejected: none was sent)',
    fix: 'Select or create the credentials for this step (or set the secret/variable it reads), then re-run.',
  },
  {
    // A command the server does not know is a server without the module (RedisJSON, search) or a
    // different kind of server than the step expects.
    id: 'config.server_feature',
    class: 'config',
    weight: 7,
    match: /\bunknown command ['"`]?[A-Za-z]+\.[A-Za-z]+|ERR unknown command/,
    note: 'the server does not support a command the step sends (a module or feature that is not installed)',
    fix: 'Point the connection at a server with the module/feature installed (e.g. Redis Stack for JSON.* commands), or change the step to plain commands.',
  },
  {
    id: 'config.secret_missing',
    class: 'config',
    // A secret or parameter the step reads is configuration, whatever not-found envelope carries it.
    weight: 9.5,
    match:
      /\bsecret \[?["'`]?[\w./{}-]+["'`]?\]? (?:was )?(?:not found|does not exist)|\bParameterNotFound\b|\bparameter \/[\w./-]+ not found|\bSecretNotFound\b/i,
    note: 'a secret or parameter the step reads is not defined in the secret store it looks in',
    fix: 'Create the secret/parameter under the exact name the step uses (in the same project, region and environment as the connection), or fix the name in the step, then re-run.',
  },
  {
    id: 'config.settings_file',
    class: 'config',
    weight: 8,
    match:
      /Cannot find module ['"][^'"\n]*config|(?:config(?:uration)? file|settings file|\.env file)[^.\n]{0,40}(?:not found|does not exist|is missing|could not be (?:found|read|loaded))|ENOENT[^\n]{0,80}(?:\.env\b|config)/i,
    note: 'a configuration file the runner loads is missing',
    fix: "Provide the configuration file for this environment (or the settings it holds as environment variables) in the workflow's deployment, then re-run.",
  },
  {
    // A template value that was never filled in ({{ project }}, ${BASE_URL}) ended up in a URL or name.
    id: 'config.unfilled_placeholder',
    class: 'config',
    weight: 8,
    match:
      /\{\{[^{}\n]{1,60}\}\}|\$\{[A-Za-z_][\w.-]*\}|\b[a-z][\w+.-]*:\/\/(?:undefined|null|NaN|None)(?=[:/]|$|\s)/,
    note: 'a setting of the step was never filled in: its placeholder reached the provider as text',
    fix: "Fill in the setting (or the upstream value) the placeholder refers to, so the step's URL/name resolves before it is sent, then re-run.",
  },
  {
    id: 'config.wrong_server',
    class: 'config',
    weight: 7,
    match:
      /Protocol error, got ["'][^"'\n]{1,3}["'] as reply type byte|Error 10(?:01|16)\b|Origin DNS error|unable to resolve your requested domain/,
    note: 'the host and port answer with a different kind of server, or the domain is not set up at its DNS provider',
    fix: "Check the connection's host and port (the service's own port, not a web or proxy port) and that the domain's DNS is set up, then re-run.",
  },
  {
    id: 'config.webhook_receiver',
    class: 'config',
    weight: 8,
    match:
      /no (?:scenario|workflow|flow|zap|listener|handler|subscriber|consumer|receiver)s? (?:is |are )?(?:listening|registered|active|subscribed|configured) (?:for|on|to|at) (?:this|the)|signature[^.\n]{0,80}(?:does not match|did not match|mismatch|verification failed)[^.\n]{0,80}secret|(?:webhook|signing) secret[^.\n]{0,60}(?:does not match|mismatch|is wrong)/i,
    note: 'the webhook URL or its signing secret does not match a receiver that is set up and active',
    fix: "Copy the receiving trigger's current webhook URL and signing secret into the sender, and make sure the receiving scenario/workflow is active, then re-run.",
  },
  {
    // TLS spoken to a plain-text port (or HTTP to a TLS port): the port or the secure/TLS switch is wrong.
    id: 'config.tls_port',
    class: 'config',
    weight: 8,
    match:
      /wrong version number|ssl3_get_record|packet length too long|plain HTTP request was sent to HTTPS port|http request on an? https? port|Must issue a STARTTLS command first|STARTTLS is required|server does not support (?:SSL|TLS)|(?:SSL|TLS) (?:is )?(?:required|not supported) by (?:the )?server|insecure transport|require_secure_transport|(?:SSL|TLS) connection is required|requires? an? (?:SSL|TLS|encrypted) connection/i,
    note: 'TLS and plain text are mixed: the port or the TLS/secure setting of the connection is wrong',
    fix: "Match the connection's port and TLS setting (e.g. SMTP 465 = TLS on, 587/25 = STARTTLS with TLS off; https:// only for TLS ports), then re-run.",
  },
  {
    id: 'config.wrong_authority',
    class: 'config',
    weight: 7,
    match:
      /not valid for this (?:authorization server|endpoint|environment|region|tenant|instance|issuer)|(?:wrong|invalid|unknown) (?:issuer|authorization server)|(?:verify|check|make sure)(?: that)? (?:the |your )?(?:account|tenant|workspace|project|instance|host|region|base url|url|endpoint|subdomain|domain|issuer)(?: name| id| url)? (?:is|are) correct|(?:tenant|account|workspace|instance|organi[sz]ation|project) (?:identifier|id|name)[^.\n]{0,40}(?:is neither|is not a valid|not a valid)|(?:sandbox|test|live|production|staging) (?:token|key|api key|credentials?|account)\b[^.\n]{0,80}\b(?:sandbox|test|live|production|staging) (?:endpoint|environment|url|server|host|api)\b|Supported authentication types are|Unsupported Authentication|(?:authentication|auth) (?:type|method|scheme)[^.\n]{0,40}(?:not supported|unsupported|not allowed)|(?:can't|cannot|could not|unable to) determine (?:the )?[\w ]{0,30}(?:URL|endpoint|host|region|project)|only valid with (?:delegated|application|app-only|user) (?:authentication|auth|permissions?)|must (?:be a member of|belong to) an? (?:organi[sz]ation|workspace|team|project) to use|should match (?:the )?(?:organi[sz]ation|account|tenant|project|workspace)|invalid (?:merchant|seller|partner|company|tenant|organi[sz]ation|workspace|site) (?:account|id|code|key|name)\b/i,
    note: 'the connection points at a different tenant, account, issuer or environment than its credentials belong to',
    fix: "Set the connection's account/tenant name, issuer or base URL to the one its credentials were issued for (sandbox and production are separate), then re-run.",
  },
];

/**
 * Domains where the first label is the customer's own (project, shop, site, cluster): a DNS
 * failure there means that tenant name does not exist, not that the provider is down.
 */
export const tenantDomains =
  /\.(?:supabase\.co|myshopify\.com|atlassian\.net|zendesk\.com|freshdesk\.com|freshservice\.com|my\.salesforce\.com|my\.site\.com|force\.com|herokuapp\.com|azurewebsites\.net|openai\.azure\.com|cognitiveservices\.azure\.com|(?:blob|queue|table|file|dfs)\.core\.windows\.net|servicebus\.windows\.net|database\.windows\.net|documents\.azure\.com|crm\d*\.dynamics\.com|sharepoint\.com|service-now\.com|snowflakecomputing\.com|firebaseio\.com|okta\.com|auth0\.com|vercel\.app|netlify\.app|api\.mailchimp\.com|pipedrive\.com|bamboohr\.com|gorgias\.com|clickhouse\.cloud|neon\.tech|azuredatabricks\.net|cloud\.databricks\.com|vault\.azure\.net|azurecr\.io|mongodb\.net|confluent\.cloud|upstash\.io|aivencloud\.com|redislabs\.com|elastic-cloud\.com|cloudfunctions\.net|run\.app|appspot\.com|firebaseapp\.com|web\.app|algolia\.net|pinecone\.io)$/i;

/** AWS region codes in use; an endpoint naming any other region is a typo in the region setting. */
export const awsRegions: ReadonlySet<string> = new Set([
  'us-east-1',
  'us-east-2',
  'us-west-1',
  'us-west-2',
  'us-gov-east-1',
  'us-gov-west-1',
  'ca-central-1',
  'ca-west-1',
  'mx-central-1',
  'sa-east-1',
  'eu-central-1',
  'eu-central-2',
  'eu-west-1',
  'eu-west-2',
  'eu-west-3',
  'eu-south-1',
  'eu-south-2',
  'eu-north-1',
  'il-central-1',
  'me-south-1',
  'me-central-1',
  'af-south-1',
  'ap-east-1',
  'ap-east-2',
  'ap-south-1',
  'ap-south-2',
  'ap-southeast-1',
  'ap-southeast-2',
  'ap-southeast-3',
  'ap-southeast-4',
  'ap-southeast-5',
  'ap-southeast-7',
  'ap-northeast-1',
  'ap-northeast-2',
  'ap-northeast-3',
  'cn-north-1',
  'cn-northwest-1',
]);
