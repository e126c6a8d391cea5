import type { ProviderRuleSet } from '../errorRule.ts';

// Office suites, project tools, file storage and help desks. Google and Microsoft name the real
// cause in `reason`/`code` fields while the HTTP status often says something else (403 for rate
// limits, 429 for daily quotas).
export const productivityRules: readonly ProviderRuleSet[] = [
  {
    provider: 'google',
    rules: [
      {
        id: 'google.rate_limit',
        class: 'rate_limit',
        weight: 7,
        match:
          /\b(?:rateLimitExceeded|userRateLimitExceeded|sharingRateLimitExceeded|RATE_LIMIT_EXCEEDED)\b|User-rate limit exceeded|Too many concurrent requests for user/,
        note: "Google's per-user / per-minute request rate was exceeded",
      },
      {
        id: 'google.quota_window_minute',
        class: 'rate_limit',
        weight: 7,
        match: /limit '[^']*per (?:minute|100 seconds|second)[^']*'/i,
      },
      {
        id: 'google.quota',
        class: 'quota',
        weight: 7,
        match:
          /\b(?:dailyLimitExceeded|dailyLimitExceededUnreg|quotaExceeded|QUOTA_EXCEEDED|storageQuotaExceeded|teamDriveFileLimitExceeded|numChildrenInNonRootLimitExceeded|activeItemCreationLimitExceeded)\b|Daily Limit Exceeded|Daily user sending (?:quota|limit) exceeded|storage quota has been exceeded|limit '[^']*per day[^']*'/i,
        note: 'a Google daily or project quota is spent; it resets daily (Pacific time) or needs a quota increase',
      },
      // RESOURCE_EXHAUSTED is mostly per-minute quota; window wording decides otherwise.
      { id: 'google.resource_exhausted', class: 'rate_limit', weight: 4, match: /\bRESOURCE_EXHAUSTED\b/ },
      {
        id: 'google.auth',
        class: 'auth',
        weight: 7,
        match:
          /\b(?:authError|UNAUTHENTICATED|ACCESS_TOKEN_EXPIRED|CREDENTIALS_MISSING|API_KEY_INVALID|keyInvalid)\b|Invalid Credentials|invalid authentication credentials|Token has been expired or revoked|API key not valid/,
        note: 'the Google OAuth token expired or access was revoked',
      },
      {
        id: 'google.permission',
        class: 'permission',
        weight: 7,
        match:
          /\b(?:insufficientPermissions|insufficientFilePermissions|PERMISSION_DENIED|ACCESS_TOKEN_SCOPE_INSUFFICIENT|appNotAuthorizedToFile|domainPolicy|cannotModifyViewersCanCopyContent)\b|The caller does not have permission|Insufficient Permission|insufficient authentication scopes/,
        note: 'the connected Google account cannot access this file/calendar or lacks a scope',
      },
      { id: 'google.forbidden', class: 'permission', scoped: true, match: /"reason"\s*:\s*"forbidden"/ },
      {
        id: 'google.api_disabled',
        class: 'config',
        // The reason code names the setup problem; it must outvote the PERMISSION_DENIED envelope.
        weight: 10,
        match:
          /\b(?:accessNotConfigured|SERVICE_DISABLED|API_KEY_SERVICE_BLOCKED)\b|has not been used in project|it is disabled\. Enable it|Mail service not enabled/,
        note: 'the Google API is not enabled in the Cloud project behind this connection',
        fix: "Enable the API named in the error in Google Cloud Console (APIs & Services > Library) for the project of the connection's OAuth client or key, wait a few minutes, then re-run.",
      },
      {
        id: 'google.not_found',
        class: 'not_found',
        match: /\bnotFound\b|Requested entity was not found|File not found:|\bNOT_FOUND\b/,
      },
      {
        id: 'google.invalid',
        class: 'validation',
        weight: 5,
        match:
          /\b(?:invalidArgument|INVALID_ARGUMENT|badRequest|parseError|invalidParameter|FAILED_PRECONDITION|failedPrecondition|OUT_OF_RANGE|invalidSharingRequest)\b|Unable to parse range|Invalid JSON payload|Invalid value at/,
      },
      {
        id: 'google.too_large',
        class: 'payload_too_large',
        weight: 7,
        match: /Request payload size exceeds the limit|\b(?:uploadTooLarge|maxFileSizeExceeded)\b/,
      },
      {
        id: 'google.conflict',
        class: 'conflict',
        match:
          /\b(?:ABORTED|alreadyExists|ALREADY_EXISTS|duplicate|conflict)\b|The requested identifier already exists/,
      },
      {
        id: 'google.server',
        class: 'upstream_5xx',
        match:
          /\b(?:backendError|internalError|UNAVAILABLE|INTERNAL)\b|The service is currently unavailable|Internal error encountered/,
      },
      { id: 'google.deadline', class: 'timeout', match: /\b(?:DEADLINE_EXCEEDED|deadlineExceeded)\b/ },
    ],
  },
  {
    provider: 'msgraph',
    rules: [
      {
        id: 'msgraph.throttled',
        class: 'rate_limit',
        weight: 7,
        match:
          /\b(?:throttledRequest|TooManyRequests|activityLimitReached|ApplicationThrottled|MailboxConcurrency|ErrorServerBusy|ErrorTooManyObjectsOpened|RequestThrottled)\b/,
      },
      {
        id: 'msgraph.token',
        class: 'auth',
        weight: 7,
        match:
          /\b(?:InvalidAuthenticationToken|ExpiredAuthenticationToken|interaction_required)\b|Access token has expired|Lifetime validation failed|CompactToken parsing failed|\bAADSTS(?:50173|700082|70008|70043|50076|50079|50078|50126|50133|54005|700024|7000222|7000215|50034|50055|50057)\b/,
        note: 'the Microsoft 365 token expired or was invalidated (password change, MFA or admin revocation)',
      },
      {
        id: 'msgraph.denied',
        class: 'permission',
        weight: 7,
        match:
          /\b(?:Authorization_RequestDenied|ErrorAccessDenied|accessDenied|ErrorSendAsDenied|ErrorMessageSubmissionBlocked|AADSTS65001|AADSTS50105|AADSTS530003|AADSTS50020)\b|Insufficient privileges to complete the operation|Either scp or roles claim need to be present/,
        note: 'the app registration lacks the Graph permission (or admin consent) for this call',
      },
      {
        id: 'msgraph.not_found',
        class: 'not_found',
        weight: 7,
        match:
          /\b(?:ErrorItemNotFound|itemNotFound|Request_ResourceNotFound|ResourceNotFound|ErrorFolderNotFound|ErrorInvalidUser|ErrorNonExistentMailbox|MailboxNotFound|ErrorCalendarNotFound)\b|The specified object was not found in the store/,
      },
      {
        id: 'msgraph.invalid',
        class: 'validation',
        match:
          /\b(?:ErrorInvalidIdMalformed|ErrorInvalidRecipients|ErrorInvalidProperty|ErrorInvalidRequest|Request_BadRequest|invalidRequest|ErrorInvalidParameter|ErrorPropertyValidationFailure|ErrorInvalidEmailAddress|invalidRange|ErrorInvalidValueForProperty|UnableToDeserializePostBody)\b/,
      },
      {
        id: 'msgraph.conflict',
        class: 'conflict',
        weight: 7,
        match:
          /\b(?:nameAlreadyExists|ErrorFolderExists|Request_MultipleObjectsWithSameKeyValue|resourceModified|ErrorIrresolvableConflict|ErrorDuplicateTransactionId)\b/,
      },
      {
        id: 'msgraph.quota',
        class: 'quota',
        weight: 7,
        match:
          /\b(?:ErrorQuotaExceeded|quotaLimitReached|MailboxStorageQuotaExceeded|ErrorExceededMessageLimit|insufficientStorage)\b/,
      },
      {
        id: 'msgraph.too_large',
        class: 'payload_too_large',
        weight: 7,
        match:
          /\b(?:ErrorMessageSizeExceeded|requestEntityTooLarge|maxFileSizeExceeded|fileTooLarge)\b|Maximum request length exceeded/,
      },
      {
        id: 'msgraph.server',
        class: 'upstream_5xx',
        match:
          /\b(?:generalException|serviceNotAvailable|ErrorInternalServerError|ErrorMailboxStoreUnavailable|ErrorInternalServerTransientError)\b/,
      },
      { id: 'msgraph.unknown', class: 'upstream_5xx', weight: 3, match: /\bUnknownError\b/ },
      { id: 'msgraph.timeout', class: 'timeout', weight: 7, match: /\bErrorTimeoutExpired\b/ },
      {
        id: 'msgraph.setup',
        class: 'config',
        weight: 7,
        match:
          /\b(?:MailboxNotEnabledForRESTAPI|MailboxNotSupportedForRESTAPI|AADSTS700016|AADSTS90002|AADSTS50011|AADSTS90014|AADSTS900144|AADSTS7000218|Authorization_IdentityNotFound)\b|mailbox is either inactive, soft-deleted, or is hosted on-premise/,
        note: 'the Azure app registration, tenant or mailbox setup does not allow this call',
        fix: 'Check the tenant id, client id and redirect URI of the Azure app registration in the connection, and that the mailbox is an Exchange Online mailbox.',
      },
    ],
  },
  {
    provider: 'notion',
    rules: [
      {
        id: 'notion.object_not_found',
        class: 'not_found',
        weight: 7,
        match: /\bobject_not_found\b|Could not find (?:database|page|block) with ID/,
        note: 'the page/database does not exist or is not shared with the Notion integration',
      },
      { id: 'notion.restricted', class: 'permission', weight: 7, match: /\brestricted_resource\b/ },
      { id: 'notion.token', class: 'auth', weight: 7, match: /API token is invalid/ },
      // validation_error also wraps size limits, so on its own it is only the envelope.
      {
        id: 'notion.validation',
        class: 'validation',
        weight: 4,
        match: /\bvalidation_error\b|body failed validation/,
      },
      {
        id: 'notion.length',
        class: 'payload_too_large',
        weight: 7.5,
        match: /length should be ≤ ?`?\d+`?|should have at most \d+ items/,
        note: 'too many blocks or characters in one request (Notion allows 100 blocks, 2000 characters per text)',
      },
      {
        id: 'notion.conflict',
        class: 'conflict',
        weight: 7,
        match: /\bconflict_error\b|Conflict occurred while saving/,
      },
      { id: 'notion.db_unavailable', class: 'upstream_5xx', match: /\bdatabase_connection_unavailable\b/ },
      {
        id: 'notion.version',
        class: 'config',
        weight: 7,
        match: /\bmissing_version\b|Notion-Version header|\binvalid_request_url\b/,
        fix: 'Send a supported Notion-Version header from the connection and call a documented https://api.notion.com/v1 path.',
      },
    ],
  },
  {
    provider: 'airtable',
    rules: [
      {
        id: 'airtable.auth',
        class: 'auth',
        weight: 7,
        match: /\bAUTHENTICATION_REQUIRED\b|Invalid authentication token/,
      },
      {
        id: 'airtable.permissions',
        class: 'permission',
        weight: 7,
        match:
          /\bINVALID_PERMISSIONS(?:_OR_MODEL_NOT_FOUND)?\b|\bNOT_AUTHORIZED\b|not (?:permitted|authorized) to perform this operation/,
        note: 'the token lacks access to this base/table (or the base/table id is wrong)',
      },
      {
        id: 'airtable.not_found',
        class: 'not_found',
        match:
          /\b(?:MODEL_ID_NOT_FOUND|TABLE_NOT_FOUND|ROW_DOES_NOT_EXIST|VIEW_NAME_NOT_FOUND)\b|Could not find table/,
      },
      {
        id: 'airtable.invalid',
        class: 'validation',
        match:
          /\b(?:INVALID_REQUEST_UNKNOWN|INVALID_REQUEST_MISSING_FIELDS|INVALID_REQUEST_BODY|INVALID_VALUE_FOR_COLUMN|INVALID_MULTIPLE_CHOICE_OPTIONS|INVALID_RECORDS|CANNOT_UPDATE_COMPUTED_FIELD|INVALID_FILTER_BY_FORMULA|INVALID_SORT|INVALID_ATTACHMENT_OBJECT|INVALID_CELL_VALUE)\b/,
      },
      {
        id: 'airtable.batch_limit',
        class: 'payload_too_large',
        weight: 8,
        match: /up to 10 record|more than 10 records|\bTOO_MANY_RECORDS\b/i,
        note: 'Airtable accepts at most 10 records per create/update request',
      },
      {
        id: 'airtable.billing',
        class: 'quota',
        weight: 8,
        match: /\bPUBLIC_API_BILLING_LIMIT_EXCEEDED\b|billing limit|\bPAYMENT_REQUIRED\b/,
        note: "the workspace's monthly API call allowance for its plan is used up",
      },
    ],
  },
  {
    provider: 'atlassian',
    rules: [
      {
        id: 'jira.issue_hidden',
        class: 'not_found',
        weight: 7,
        match: /Issue does not exist or you do not have permission to see it|Could not find issue/,
      },
      {
        id: 'jira.auth',
        class: 'auth',
        weight: 7,
        match:
          /Client must be authenticated|Basic auth(?:entication)? with passwords? is (?:deprecated|not allowed)|API tokens? must be used/,
      },
      {
        id: 'jira.field_validation',
        class: 'validation',
        weight: 7,
        match:
          /does not exist for the field|is not valid for this issue|It is not on the appropriate screen|You must specify|Field '[^']+' cannot be set|Specify a valid|Operation value must be|is not a valid issue type|Transition id '[^']*' is not valid/,
      },
      {
        id: 'jira.scope',
        class: 'permission',
        weight: 7,
        match: /scope does not match|does not have the required scope/i,
      },
      {
        id: 'confluence.title',
        class: 'conflict',
        weight: 7,
        match: /page with (?:this|the same) title already exists|same TITLE under the same parent/i,
      },
    ],
  },
  {
    provider: 'trello',
    rules: [
      {
        id: 'trello.permission_requested',
        class: 'permission',
        weight: 7,
        match: /unauthorized (?:\w+ )?permission requested/i,
        note: 'the Trello token cannot access this board/card',
      },
      {
        id: 'trello.token_limit',
        class: 'rate_limit',
        weight: 7,
        match: /\bAPI_(?:TOKEN|KEY)_LIMIT_EXCEEDED\b/,
      },
      {
        id: 'trello.invalid_token',
        class: 'auth',
        weight: 7,
        match: /^invalid token$|"invalid token"|expired token/i,
      },
    ],
  },
  {
    provider: 'asana',
    rules: [
      {
        id: 'asana.unrecognized_id',
        class: 'not_found',
        weight: 7,
        match: /Not a recognized ID|Unknown object/i,
      },
      { id: 'asana.not_authorized', class: 'auth', weight: 5, statuses: [401], match: /Not Authorized/i },
      { id: 'asana.premium', class: 'quota', weight: 6, statuses: [402], match: /Payment Required|premium/i },
    ],
  },
  {
    provider: 'monday',
    rules: [
      {
        id: 'monday.complexity',
        class: 'rate_limit',
        weight: 7,
        match: /\bComplexityException\b|Complexity budget exhausted|Minute limit rate exceeded/i,
      },
      {
        id: 'monday.daily',
        class: 'quota',
        weight: 8,
        match: /\bDAILY_LIMIT_EXCEEDED\b|Daily limit exceeded/i,
      },
      {
        id: 'monday.max_complexity',
        class: 'payload_too_large',
        weight: 7,
        match: /maxComplexityExceeded|exceeds max complexity/i,
      },
      {
        id: 'monday.unauthorized',
        class: 'permission',
        weight: 7,
        match: /UserUnauthorizedException|User unauthorized to perform action|\bIP_RESTRICTED\b/,
      },
      {
        id: 'monday.not_found',
        class: 'not_found',
        match: /InvalidBoardIdException|InvalidItemIdException|Board not found|Item not found/,
      },
      {
        id: 'monday.invalid',
        class: 'validation',
        weight: 7,
        match:
          /ColumnValueException|ItemNameTooLongException|RecordInvalidException|InvalidColumnIdException|CorrectedValueException/,
      },
    ],
  },
  {
    provider: 'clickup',
    rules: [
      {
        id: 'clickup.token',
        class: 'auth',
        weight: 7,
        match:
          /\bOAUTH_0(?:19|21|25|26|77)\b|Token invalid|Oauth token not found|Authorization header required/i,
      },
      {
        id: 'clickup.team',
        class: 'permission',
        weight: 7,
        match: /\bOAUTH_02[37]\b|Team not authorized|not authorized for (?:this )?team/i,
      },
    ],
  },
  {
    provider: 'linear',
    rules: [
      { id: 'linear.ratelimited', class: 'rate_limit', weight: 7, match: /\bRATELIMITED\b/ },
      { id: 'linear.auth', class: 'auth', weight: 7, match: /\bAUTHENTICATION_ERROR\b/ },
      { id: 'linear.forbidden', class: 'permission', match: /\bFORBIDDEN\b/ },
      // Linear reports missing entities as INVALID_INPUT too.
      {
        id: 'linear.input',
        class: 'validation',
        weight: 4,
        match: /\bINVALID_INPUT\b|Argument Validation Error/,
      },
      { id: 'linear.entity_not_found', class: 'not_found', weight: 7, match: /Entity not found/ },
      { id: 'linear.usage', class: 'quota', weight: 7, match: /\bUSAGE_LIMIT_EXCEEDED\b/ },
    ],
  },
  {
    provider: 'dropbox',
    rules: [
      {
        id: 'dropbox.not_found',
        class: 'not_found',
        weight: 7,
        match: /(?:path|path_lookup|from_lookup|lookup|to)\/not_found/,
        note: 'the Dropbox file or folder path does not exist',
      },
      {
        id: 'dropbox.token',
        class: 'auth',
        weight: 7,
        match: /\b(?:expired_access_token|invalid_access_token|invalid_oauth1_token_info)\b/,
      },
      {
        id: 'dropbox.rate',
        class: 'rate_limit',
        weight: 7,
        match: /\b(?:too_many_requests|too_many_write_operations)\b/,
      },
      { id: 'dropbox.conflict', class: 'conflict', weight: 7, match: /(?:path|to)\/conflict/ },
      {
        id: 'dropbox.space',
        class: 'quota',
        weight: 7,
        match: /\binsufficient_space\b|\binsufficient_quota\b/,
      },
      {
        id: 'dropbox.path',
        class: 'validation',
        weight: 7,
        match: /\b(?:malformed_path|disallowed_name|invalid_path_root)\b/,
      },
      {
        id: 'dropbox.write_permission',
        class: 'permission',
        weight: 7,
        match: /\b(?:no_write_permission|user_suspended|email_not_verified)\b/,
      },
      {
        id: 'dropbox.too_large',
        class: 'payload_too_large',
        weight: 7,
        match: /\b(?:payload_too_large|too_many_files|too_large)\b/,
      },
      {
        id: 'dropbox.select_user',
        class: 'config',
        weight: 6,
        match: /\binvalid_select_(?:user|admin)\b/,
        fix: 'Set the team member id (Dropbox-API-Select-User/Admin) in the connection to a member of this team, or use a user-level connection.',
      },
    ],
  },
  {
    provider: 'box',
    rules: [
      { id: 'box.name_in_use', class: 'conflict', weight: 7, match: /\bitem_name_in_use\b/ },
      { id: 'box.storage', class: 'quota', weight: 7, match: /\bstorage_limit_exceeded\b/ },
      { id: 'box.file_size', class: 'payload_too_large', weight: 7, match: /\bfile_size_limit_exceeded\b/ },
      {
        id: 'box.name_too_long',
        class: 'validation',
        weight: 7,
        match: /\bitem_name_too_long\b|\bitem_name_invalid\b|\bbad_request\b/,
      },
      {
        id: 'box.insufficient',
        class: 'permission',
        weight: 7,
        match: /\baccess_denied_insufficient_permissions\b|\baccess_denied_item_locked\b/,
      },
    ],
  },
  {
    provider: 'zendesk',
    rules: [
      {
        // RecordInvalid wraps every field error, uniqueness ones included.
        id: 'zendesk.record_invalid',
        class: 'validation',
        weight: 5,
        match: /\bRecordInvalid\b|Record validation errors/,
      },
      {
        id: 'zendesk.duplicate',
        class: 'conflict',
        weight: 7,
        match: /"error"\s*:\s*"DuplicateValue"|is already being used by another/,
      },
      {
        id: 'zendesk.invalid_endpoint',
        class: 'config',
        weight: 6,
        match: /\bInvalidEndpoint\b/,
        fix: 'Check the Zendesk subdomain and the API path (/api/v2/...) in the step.',
      },
      {
        id: 'zendesk.subdomain',
        class: 'config',
        weight: 8,
        match:
          /help desk (?:is not available|no longer exists)|Subdomain not found|This account is not active/i,
        note: 'the Zendesk subdomain in the connection is wrong or the account is closed',
        fix: "Set the Zendesk subdomain in the connection to the account's (https://<subdomain>.zendesk.com).",
      },
    ],
  },
];
