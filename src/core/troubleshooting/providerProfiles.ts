// Which SaaS provider a step talks to, how its service ids and hosts look, and how gently to
// call it again after a rate limit. Throttle numbers follow each provider's published limits.

export interface ThrottleProfile {
  /** Concurrent in-flight calls to fall back to after a rate limit. */
  readonly concurrency: number;
  readonly initialDelayMs: number;
  readonly maxDelayMs: number;
}

export interface ProviderProfile {
  readonly id: string;
  readonly name: string;
  /** Tokens of a service id (`google_sheets`, `msTeams`) that name this provider. */
  readonly aliases: readonly string[];
  /** API hosts that identify the provider when the service id is generic (e.g. `http`). */
  readonly hosts?: RegExp;
  readonly throttle?: ThrottleProfile;
}

export const defaultThrottle: ThrottleProfile = { concurrency: 2, initialDelayMs: 1000, maxDelayMs: 60_000 };

export const providerProfiles: readonly ProviderProfile[] = [
  {
    id: 'slack',
    name: 'Slack',
    aliases: ['slack'],
    hosts: /\bslack\.com\b|hooks\.slack/i,
    // chat.postMessage allows about one message per second per channel.
    throttle: { concurrency: 1, initialDelayMs: 1000, maxDelayMs: 60_000 },
  },
  {
    id: 'google',
    name: 'Google',
    aliases: [
      'google',
      'gmail',
      'gsheets',
      'gsheet',
      'sheets',
      'gdrive',
      'drive',
      'gcal',
      'gdocs',
      'youtube',
      'bigquery',
      'firebase',
      'firestore',
      'gemini',
      'gcp',
      'gcs',
      'workspace',
    ],
    hosts: /googleapis\.com|\.google\.com/i,
    // Google asks for truncated exponential backoff (1, 2, 4 ... up to 64 s) with jitter.
    throttle: { concurrency: 2, initialDelayMs: 2000, maxDelayMs: 64_000 },
  },
  {
    id: 'msgraph',
    name: 'Microsoft 365',
    aliases: [
      'microsoft',
      'msgraph',
      'graph',
      'outlook',
      'office365',
      'o365',
      'onedrive',
      'sharepoint',
      'teams',
      'msteams',
      'excel',
      'azuread',
      'entra',
      'dynamics',
      'onenote',
      'planner',
    ],
    hosts: /graph\.microsoft\.com|login\.microsoftonline\.com|outlook\.office(?:365)?\.com/i,
    throttle: { concurrency: 2, initialDelayMs: 2000, maxDelayMs: 120_000 },
  },
  {
    id: 'salesforce',
    name: 'Salesforce',
    aliases: ['salesforce', 'sfdc', 'sf', 'pardot'],
    hosts: /\.salesforce\.com|\.force\.com/i,
    throttle: { concurrency: 3, initialDelayMs: 2000, maxDelayMs: 60_000 },
  },
  {
    id: 'hubspot',
    name: 'HubSpot',
    aliases: ['hubspot'],
    hosts: /hubapi\.com|api\.hubspot\.com/i,
    // Burst limits are counted per rolling ten seconds.
    throttle: { concurrency: 3, initialDelayMs: 1000, maxDelayMs: 20_000 },
  },
  {
    id: 'stripe',
    name: 'Stripe',
    aliases: ['stripe'],
    hosts: /api\.stripe\.com/i,
    throttle: { concurrency: 4, initialDelayMs: 500, maxDelayMs: 30_000 },
  },
  {
    id: 'twilio',
    name: 'Twilio',
    aliases: ['twilio'],
    hosts: /twilio\.com/i,
    throttle: { concurrency: 1, initialDelayMs: 1000, maxDelayMs: 60_000 },
  },
  {
    id: 'openai',
    name: 'OpenAI',
    aliases: ['openai', 'chatgpt', 'gpt', 'dalle', 'whisper'],
    hosts: /api\.openai\.com|openai\.azure\.com/i,
    throttle: { concurrency: 2, initialDelayMs: 2000, maxDelayMs: 60_000 },
  },
  {
    id: 'anthropic',
    name: 'Anthropic',
    aliases: ['anthropic', 'claude'],
    hosts: /api\.anthropic\.com/i,
    throttle: { concurrency: 2, initialDelayMs: 2000, maxDelayMs: 60_000 },
  },
  {
    id: 'aws',
    name: 'AWS',
    aliases: [
      'aws',
      'amazon',
      's3',
      'dynamodb',
      'dynamo',
      'sqs',
      'sns',
      'ses',
      'lambda',
      'kinesis',
      'cloudwatch',
      'bedrock',
      'eventbridge',
      'sagemaker',
      'athena',
      'redshift',
      'rds',
      'ec2',
      'secretsmanager',
      'stepfunctions',
    ],
    hosts: /amazonaws\.com/i,
    throttle: { concurrency: 4, initialDelayMs: 500, maxDelayMs: 20_000 },
  },
  {
    id: 'notion',
    name: 'Notion',
    aliases: ['notion'],
    hosts: /api\.notion\.com/i,
    // About three requests per second per integration.
    throttle: { concurrency: 1, initialDelayMs: 1000, maxDelayMs: 30_000 },
  },
  {
    id: 'airtable',
    name: 'Airtable',
    aliases: ['airtable'],
    hosts: /api\.airtable\.com/i,
    // Five requests per second per base; after a 429 Airtable blocks for 30 seconds.
    throttle: { concurrency: 1, initialDelayMs: 30_000, maxDelayMs: 120_000 },
  },
  {
    id: 'shopify',
    name: 'Shopify',
    aliases: ['shopify'],
    hosts: /myshopify\.com|shopify\.com/i,
    // Leaky bucket refilling at two calls per second on standard plans.
    throttle: { concurrency: 2, initialDelayMs: 1000, maxDelayMs: 30_000 },
  },
  {
    id: 'atlassian',
    name: 'Jira',
    aliases: ['jira', 'atlassian', 'confluence', 'bitbucket', 'jiracloud'],
    hosts: /atlassian\.net|atlassian\.com|bitbucket\.org/i,
    throttle: { concurrency: 2, initialDelayMs: 2000, maxDelayMs: 60_000 },
  },
  {
    id: 'discord',
    name: 'Discord',
    aliases: ['discord'],
    hosts: /discord(?:app)?\.com/i,
    throttle: { concurrency: 1, initialDelayMs: 1000, maxDelayMs: 60_000 },
  },
  {
    id: 'telegram',
    name: 'Telegram',
    aliases: ['telegram', 'tg'],
    hosts: /api\.telegram\.org/i,
    // About one message per second per chat, 30 per second overall.
    throttle: { concurrency: 1, initialDelayMs: 1000, maxDelayMs: 60_000 },
  },
  {
    id: 'mailchimp',
    name: 'Mailchimp',
    aliases: ['mailchimp', 'mandrill'],
    hosts: /api\.mailchimp\.com|mandrillapp\.com/i,
    // Ten simultaneous connections per user.
    throttle: { concurrency: 5, initialDelayMs: 1000, maxDelayMs: 30_000 },
  },
  {
    id: 'zendesk',
    name: 'Zendesk',
    aliases: ['zendesk'],
    hosts: /zendesk\.com/i,
    throttle: { concurrency: 2, initialDelayMs: 2000, maxDelayMs: 60_000 },
  },
  {
    id: 'dropbox',
    name: 'Dropbox',
    aliases: ['dropbox'],
    hosts: /dropboxapi\.com|api\.dropbox\.com/i,
    throttle: { concurrency: 2, initialDelayMs: 1000, maxDelayMs: 60_000 },
  },
  {
    id: 'trello',
    name: 'Trello',
    aliases: ['trello'],
    hosts: /api\.trello\.com/i,
    // 100 requests per 10 seconds per token.
    throttle: { concurrency: 2, initialDelayMs: 2000, maxDelayMs: 30_000 },
  },
  {
    id: 'twitter',
    name: 'X (Twitter)',
    aliases: ['twitter', 'x', 'tweet', 'tweets'],
    hosts: /api\.twitter\.com|\bapi\.x\.com/i,
    // Limits are counted per 15-minute window.
    throttle: { concurrency: 1, initialDelayMs: 15_000, maxDelayMs: 900_000 },
  },
  {
    id: 'github',
    name: 'GitHub',
    aliases: ['github'],
    hosts: /api\.github\.com|github\.com/i,
    // Secondary rate limits punish concurrency; GitHub asks to wait at least a minute.
    throttle: { concurrency: 1, initialDelayMs: 60_000, maxDelayMs: 900_000 },
  },
  { id: 'gitlab', name: 'GitLab', aliases: ['gitlab'], hosts: /gitlab\.com/i },
  { id: 'sendgrid', name: 'SendGrid', aliases: ['sendgrid'], hosts: /sendgrid\.(?:com|net)/i },
  { id: 'asana', name: 'Asana', aliases: ['asana'], hosts: /app\.asana\.com/i },
  { id: 'intercom', name: 'Intercom', aliases: ['intercom'], hosts: /api\.intercom\.io/i },
  { id: 'zoom', name: 'Zoom', aliases: ['zoom'], hosts: /api\.zoom\.us/i },
  {
    id: 'quickbooks',
    name: 'QuickBooks',
    aliases: ['quickbooks', 'qbo', 'intuit'],
    hosts: /intuit\.com/i,
  },
  {
    id: 'xero',
    name: 'Xero',
    aliases: ['xero'],
    hosts: /api\.xero\.com/i,
    // 60 calls per minute per tenant.
    throttle: { concurrency: 1, initialDelayMs: 5000, maxDelayMs: 60_000 },
  },
  { id: 'pipedrive', name: 'Pipedrive', aliases: ['pipedrive'], hosts: /pipedrive\.com/i },
  { id: 'monday', name: 'monday.com', aliases: ['monday', 'mondaycom'], hosts: /api\.monday\.com/i },
  { id: 'clickup', name: 'ClickUp', aliases: ['clickup'], hosts: /api\.clickup\.com/i },
  { id: 'linear', name: 'Linear', aliases: ['linear'], hosts: /api\.linear\.app/i },
  { id: 'box', name: 'Box', aliases: ['box'], hosts: /api\.box\.com/i },
  {
    id: 'meta',
    name: 'Meta',
    aliases: ['facebook', 'meta', 'instagram', 'whatsapp', 'fb', 'messenger'],
    hosts: /graph\.facebook\.com|graph\.instagram\.com/i,
  },
  { id: 'postmark', name: 'Postmark', aliases: ['postmark'], hosts: /postmarkapp\.com/i },
  { id: 'mailgun', name: 'Mailgun', aliases: ['mailgun'], hosts: /mailgun\.net/i },
  { id: 'woocommerce', name: 'WooCommerce', aliases: ['woocommerce', 'woo', 'wordpress', 'wp'] },
  {
    id: 'postgres',
    name: 'PostgreSQL',
    aliases: ['postgres', 'postgresql', 'pg', 'supabase', 'neon'],
  },
  { id: 'mysql', name: 'MySQL', aliases: ['mysql', 'mariadb', 'planetscale'] },
  { id: 'mongodb', name: 'MongoDB', aliases: ['mongodb', 'mongo', 'atlas'] },
];
