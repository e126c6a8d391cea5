import type { ProviderRuleSet } from '../errorRule.ts';

// Chat, messaging and e-mail providers. Slack and Telegram often fail with HTTP 200 and an
// `ok: false` body, so their codes carry the whole signal.
export const messagingRules: readonly ProviderRuleSet[] = [
  {
    provider: 'slack',
    rules: [
      {
        id: 'slack.invalid_auth',
        class: 'auth',
        match: /\b(?:invalid_auth|not_authed)\b/,
        note: 'the token was revoked or expired, or none was sent (invalid_auth/not_authed)',
      },
      {
        id: 'slack.token_revoked',
        class: 'auth',
        match: /\b(?:token_revoked|token_expired)\b/,
        note: 'the token was revoked or expired (token_revoked/token_expired)',
      },
      {
        id: 'slack.account_inactive',
        class: 'auth',
        match: /\baccount_inactive\b/,
        note: 'the token belongs to a deactivated user or a deleted workspace (account_inactive)',
      },
      {
        id: 'slack.missing_scope',
        class: 'permission',
        weight: 7,
        match: /\bmissing_scope\b/,
        note: 'the Slack app lacks the OAuth scope this method needs (see "needed" in the response)',
      },
      {
        id: 'slack.not_in_channel',
        class: 'permission',
        weight: 7,
        match: /\bnot_in_channel\b/,
        note: 'the bot is not a member of the channel; invite it with /invite @<app>',
      },
      {
        id: 'slack.restricted',
        class: 'permission',
        match:
          /\b(?:restricted_action(?:_read_only_channel|_thread_only_channel|_non_threadable_channel)?|ekm_access_denied|posting_to_general_channel_denied|user_is_restricted|action_prohibited|no_permission|cant_invite)\b/,
        note: 'a workspace policy or channel setting forbids this action for the app',
      },
      { id: 'slack.ratelimited', class: 'rate_limit', weight: 7, match: /\b(?:ratelimited|rate_limited)\b/ },
      {
        id: 'slack.not_found',
        class: 'not_found',
        weight: 7,
        match:
          /\b(?:channel_not_found|user_not_found|users_not_found|message_not_found|thread_not_found|file_not_found|bot_not_found|no_such_subteam|file_deleted)\b/,
        note: 'the channel, user or message id does not exist or is not visible to the app',
      },
      {
        id: 'slack.invalid_request',
        class: 'validation',
        match:
          /\b(?:invalid_arguments|invalid_blocks(?:_format)?|no_text|invalid_arg_name|invalid_array_arg|invalid_charset|invalid_form_data|invalid_post_type|missing_post_type|json_not_object|invalid_attachments|invalid_payload|invalid_ts_(?:latest|oldest)|invalid_cursor|invalid_name(?:_specials|_required|_punctuation|_maxlength)?|cannot_dm_bot|invalid_metadata_format|missing_text_or_fallback_or_attachments|cannot_reply_to_message|invalid_time|time_in_past)\b/,
      },
      {
        id: 'slack.conflict',
        class: 'conflict',
        match:
          /\b(?:name_taken|already_in_channel|already_reacted|already_pinned|already_archived|edit_window_closed)\b/,
      },
      {
        id: 'slack.too_long',
        class: 'payload_too_large',
        weight: 7,
        match:
          /\b(?:msg_too_long|too_many_attachments|too_many_blocks|request_too_large|file_too_large|text_too_long)\b/,
        note: "the message is over Slack's size limits; split or truncate it",
      },
      {
        id: 'slack.server',
        class: 'upstream_5xx',
        match: /\b(?:internal_error|fatal_error|service_unavailable|team_added_to_org)\b/,
      },
      { id: 'slack.request_timeout', class: 'timeout', match: /\brequest_timeout\b/ },
      {
        id: 'slack.setup',
        class: 'config',
        match:
          /\b(?:not_allowed_token_type|method_deprecated|deprecated_endpoint|is_archived|channel_is_archived|no_service|no_service_id|no_team|no_active_hooks|invalid_webhook|two_factor_setup_required|method_not_supported_for_channel_type|legacy_custom_bots_deprecated)\b/,
        note: 'the step uses a token type, webhook or channel that cannot be used for this action',
        fix: 'Use the token type this method needs (bot vs user token) and an active channel/webhook: re-create the incoming webhook or pick an unarchived channel in the step.',
      },
    ],
  },
  {
    provider: 'discord',
    rules: [
      {
        id: 'discord.missing_permissions',
        class: 'permission',
        weight: 7,
        match: /Missing Permissions|"code"\s*:\s*50013\b/,
      },
      {
        id: 'discord.missing_access',
        class: 'permission',
        weight: 7,
        match: /Missing Access|"code"\s*:\s*50001\b|Cannot send messages to this user|"code"\s*:\s*50007\b/,
        note: 'the bot cannot see or post to this channel/user',
      },
      {
        id: 'discord.unknown_entity',
        class: 'not_found',
        weight: 7,
        match:
          /Unknown (?:Channel|Guild|Message|Webhook|User|Member|Role|Emoji|Invite|Application)|"code"\s*:\s*100(?:03|04|07|08|11|13|14|15)\b/,
      },
      {
        id: 'discord.invalid_form_body',
        class: 'validation',
        match: /Invalid Form Body|"code"\s*:\s*50035\b|Cannot send an empty message|"code"\s*:\s*50006\b/,
      },
      {
        id: 'discord.max_length',
        class: 'payload_too_large',
        weight: 7.5,
        match: /BASE_TYPE_MAX_LENGTH|or fewer in length|"code"\s*:\s*40005\b/,
        note: "the message or embed is over Discord's length limit (2000 characters)",
      },
      {
        id: 'discord.invalid_webhook_token',
        class: 'config',
        match: /Invalid Webhook Token|"code"\s*:\s*50027\b/,
        note: 'the token part of the Discord webhook URL is wrong (the URL was mistyped or regenerated)',
        fix: "Copy the webhook URL again from the channel's Integrations > Webhooks and paste it into the step.",
      },
      {
        id: 'discord.max_reached',
        class: 'quota',
        match: /Maximum number of [\w\s]+ reached|"code"\s*:\s*30\d{3}\b/,
      },
      {
        id: 'discord.rate_limited',
        class: 'rate_limit',
        match: /You are being rate limited|"retry_after"|write rate limit|slowmode/i,
      },
      {
        id: 'discord.overloaded',
        class: 'upstream_5xx',
        match: /API resource is currently overloaded|"code"\s*:\s*130000\b/,
      },
    ],
  },
  {
    provider: 'telegram',
    rules: [
      {
        id: 'telegram.too_many_requests',
        class: 'rate_limit',
        weight: 7,
        match: /Too Many Requests: retry after/i,
      },
      {
        id: 'telegram.chat_not_found',
        class: 'not_found',
        weight: 7,
        match: /chat not found|message to (?:edit|delete|reply) not found|user not found/i,
      },
      {
        id: 'telegram.bot_blocked',
        class: 'permission',
        weight: 7,
        match:
          /bot was blocked by the user|bot was kicked|bot is not a member|not enough rights|have no rights to send|user is deactivated|bot can't initiate conversation/i,
        note: 'the bot was blocked, removed or lacks rights in this chat',
      },
      {
        id: 'telegram.too_long',
        class: 'payload_too_large',
        weight: 7,
        match: /message is too long|message caption is too long/i,
      },
      {
        id: 'telegram.bad_entities',
        class: 'validation',
        match:
          /can't parse entities|message text is empty|wrong file identifier|PEER_ID_INVALID|BUTTON_DATA_INVALID|wrong HTTP URL/i,
      },
      {
        id: 'telegram.migrated',
        class: 'config',
        weight: 7,
        match: /group chat was upgraded to a supergroup|migrate_to_chat_id/i,
        fix: 'Replace the chat id in the step with the supergroup id given in migrate_to_chat_id.',
      },
      {
        id: 'telegram.conflict',
        class: 'conflict',
        match: /terminated by other getUpdates request/i,
      },
    ],
  },
  {
    provider: 'twilio',
    rules: [
      {
        id: 'twilio.20003',
        class: 'auth',
        scoped: true,
        match: /\b20003\b|:\s*Authenticate\b/,
        note: 'the Account SID / Auth Token (or API key) is wrong or was rotated (error 20003)',
      },
      {
        id: 'twilio.20005',
        class: 'quota',
        scoped: true,
        match: /\b20005\b|Account not active/i,
        note: 'the Twilio account is suspended or closed (billing)',
      },
      {
        id: 'twilio.20008',
        class: 'config',
        scoped: true,
        match: /\b20008\b|Test Account Credentials/,
        fix: 'Use live Account SID/Auth Token in the Twilio connection; test credentials only work with the magic test numbers.',
      },
      { id: 'twilio.20404', class: 'not_found', scoped: true, match: /\b20404\b/ },
      {
        id: 'twilio.20429',
        class: 'rate_limit',
        scoped: true,
        weight: 7,
        match: /\b(?:20429|14107|21611|30001)\b/,
      },
      { id: 'twilio.5xx', class: 'upstream_5xx', scoped: true, match: /\b(?:20500|20503)\b/ },
      {
        id: 'twilio.invalid_number',
        class: 'validation',
        scoped: true,
        match: /\b(?:21211|21214|21601|21602|21603|21604|21612|21614|21620|20422|21201)\b/,
        note: 'a phone number, body or parameter in the step is invalid',
      },
      {
        id: 'twilio.geo_permission',
        class: 'permission',
        scoped: true,
        weight: 7,
        match:
          /\b(?:21408|21215|21608|21219|21610)\b|Permission to send an SMS has not been enabled|unsubscribed recipient|Trial accounts cannot send/i,
        note: 'geo permissions, a trial account or an opted-out recipient block this message',
      },
      {
        id: 'twilio.21606',
        class: 'config',
        scoped: true,
        match: /\b21606\b|is not a valid message-capable Twilio phone number/,
        fix: "Set the step's From to an SMS-capable Twilio number (or Messaging Service) owned by this account.",
      },
      {
        id: 'twilio.21617',
        class: 'payload_too_large',
        scoped: true,
        weight: 7,
        match: /\b21617\b|exceeds the 1600 character limit/,
      },
    ],
  },
  {
    provider: 'sendgrid',
    rules: [
      {
        id: 'sendgrid.bad_grant',
        class: 'auth',
        weight: 7,
        match: /authorization grant is invalid, expired, or revoked/i,
      },
      {
        id: 'sendgrid.credits',
        class: 'quota',
        weight: 8,
        match: /Maximum credits exceeded/i,
        note: "the SendGrid plan's e-mail credits are used up",
      },
      {
        id: 'sendgrid.sender_identity',
        class: 'config',
        weight: 8,
        match: /does not match a verified Sender Identity/i,
        note: 'the From address is not a verified sender in SendGrid',
        fix: "Verify the From address or its domain under Settings > Sender Authentication in SendGrid, or change the step's From to a verified sender.",
      },
    ],
  },
  {
    provider: 'mailchimp',
    rules: [
      {
        id: 'mailchimp.api_key',
        class: 'auth',
        weight: 7,
        match: /API Key (?:Invalid|Missing)|Invalid_Key/i,
      },
      {
        id: 'mailchimp.wrong_datacenter',
        class: 'config',
        weight: 8,
        // A title of its own; "API Key Invalid" details also mention datacenters.
        match: /Wrong Datacenter|linked to a different datacenter/,
        fix: "Use the datacenter suffix of the API key (the part after '-', e.g. us6) as the server prefix/base URL in the Mailchimp connection.",
      },
      {
        id: 'mailchimp.member_exists',
        class: 'conflict',
        weight: 7,
        match: /Member Exists|is already a list member/i,
        note: 'the address is already on the audience; use PUT (upsert) instead of POST',
      },
      {
        id: 'mailchimp.invalid',
        class: 'validation',
        match: /Invalid Resource|Forgotten Email Not Subscribed|looks fake or invalid/i,
      },
      {
        id: 'mailchimp.compliance',
        class: 'permission',
        match: /Member In Compliance State|Compliance Related|User Disabled/i,
      },
    ],
  },
  {
    provider: 'postmark',
    rules: [
      {
        id: 'postmark.token',
        class: 'auth',
        weight: 7,
        match: /"ErrorCode"\s*:\s*10\b|Token you provided .* (?:was )?invalid/i,
      },
      {
        id: 'postmark.sender_signature',
        class: 'config',
        weight: 8,
        match:
          /not a Sender Signature|Sender Signature not (?:found|confirmed|defined)|"ErrorCode"\s*:\s*400\b/i,
        fix: "Add and confirm the From address as a Sender Signature (or verify its domain) in Postmark, or change the step's From.",
      },
      {
        id: 'postmark.inactive_recipient',
        class: 'validation',
        weight: 7,
        match: /"ErrorCode"\s*:\s*(?:406|300)\b|Inactive recipient|Invalid email request/i,
      },
      {
        id: 'postmark.credits',
        class: 'quota',
        weight: 8,
        match: /"ErrorCode"\s*:\s*405\b|run out of credits/i,
      },
      { id: 'postmark.pending', class: 'permission', match: /"ErrorCode"\s*:\s*412\b|pending approval/i },
    ],
  },
  {
    provider: 'mailgun',
    rules: [
      // Mailgun answers a bad API key with 401 and a bare "Forbidden" body.
      {
        id: 'mailgun.forbidden_401',
        class: 'auth',
        scoped: true,
        weight: 7,
        statuses: [401],
        match: /Forbidden/i,
      },
      {
        id: 'mailgun.domain_not_found',
        class: 'config',
        weight: 8,
        match: /Domain not found|domain .* is not (?:verified|active)/i,
        fix: 'Set the sending domain in the Mailgun connection to a verified domain of this account, with the matching region (api.eu.mailgun.net for EU domains).',
      },
      {
        id: 'mailgun.sandbox',
        class: 'config',
        weight: 7,
        match: /Sandbox subdomains are for test purposes only|Free accounts are for test purposes only/i,
        fix: "Add and verify your own sending domain in Mailgun and select it in the connection, or add the recipient to the sandbox's authorised recipients.",
      },
    ],
  },
  {
    provider: 'meta',
    rules: [
      {
        id: 'meta.rate',
        class: 'rate_limit',
        weight: 7,
        match:
          /\(#(?:4|17|32|613|80001|80002|80004|80005|80006|80008|80014|130429|131048|131056)\)|"code"\s*:\s*(?:4|17|32|613|80004|130429|131048|131056)\b|request limit reached|pair rate limit hit|Spam rate limit hit/i,
      },
      {
        id: 'meta.oauth',
        class: 'auth',
        weight: 7,
        match:
          /"code"\s*:\s*190\b|\(#190\)|Error validating access token|session has been invalidated|Session has expired/i,
      },
      {
        id: 'meta.permission',
        class: 'permission',
        weight: 7,
        match:
          /\(#(?:3|10|200|230|270|294|299|368)\)|Permissions error|does not have permission for this action|does not have the capability|deemed abusive|Account has been locked|\b131031\b/i,
      },
      {
        id: 'meta.object_missing',
        class: 'not_found',
        weight: 8,
        match: /Object with ID '[^']*' does not exist|\(#803\)|Template name does not exist|\b132001\b/i,
      },
      {
        id: 'meta.invalid_param',
        class: 'validation',
        match: /\(#100\)|Invalid parameter|Re-engagement message|\b131047\b|\b131009\b|\b131026\b/i,
      },
      {
        id: 'meta.unknown',
        class: 'upstream_5xx',
        match:
          /An unknown error (?:has )?occurred|Service temporarily unavailable|Please retry your request later/i,
      },
      {
        id: 'meta.not_registered',
        class: 'config',
        weight: 7,
        match: /\b133010\b|Account not registered/i,
        fix: 'Register the WhatsApp phone number (Cloud API /register) and use its phone number id in the connection.',
      },
      {
        id: 'meta.payment',
        class: 'quota',
        weight: 7,
        match: /\b131042\b|Business eligibility payment issue/i,
      },
    ],
  },
  {
    provider: 'intercom',
    rules: [
      {
        id: 'intercom.token',
        class: 'auth',
        weight: 7,
        match: /\btoken_(?:unauthorized|not_found|revoked|expired|blocked)\b/,
      },
      {
        id: 'intercom.plan',
        class: 'quota',
        weight: 7,
        match: /\bapi_plan_restricted\b|Active subscription needed/i,
      },
      {
        id: 'intercom.parameter',
        class: 'validation',
        match: /\b(?:parameter_not_found|parameter_invalid|missing_parameter|invalid_document)\b/,
      },
      {
        id: 'intercom.version',
        class: 'config',
        weight: 7,
        match: /\bintercom_version_invalid\b/,
        fix: 'Set the Intercom-Version header in the connection to a supported API version.',
      },
    ],
  },
  {
    provider: 'zoom',
    rules: [
      {
        id: 'zoom.daily_limit',
        class: 'quota',
        weight: 8,
        match: /maximum daily rate limit|daily rate limit|daily limit/i,
        note: "Zoom's per-day request limit for this API is spent; it resets at 00:00 UTC",
      },
      { id: 'zoom.scopes', class: 'permission', weight: 8, match: /does not contain scopes|No permission/i },
      {
        id: 'zoom.token',
        class: 'auth',
        match: /"code"\s*:\s*124\b|Access token is expired|Invalid access token/i,
      },
      { id: 'zoom.not_exist', class: 'not_found', match: /"code"\s*:\s*(?:3001|1001|1010)\b/ },
      { id: 'zoom.invalid', class: 'validation', scoped: true, match: /"code"\s*:\s*300\b/ },
    ],
  },
];
