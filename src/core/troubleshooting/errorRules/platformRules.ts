import type { ProviderRuleSet } from '../errorRule.ts';

// Cloud, AI, developer platforms and databases. AWS error codes are precise but ride on HTTP 400
// for throttling (ThrottlingException) and 503 for S3's SlowDown; OpenAI's 429 is either a
// passing rate limit or a spent quota.
export const platformRules: readonly ProviderRuleSet[] = [
  {
    provider: 'aws',
    rules: [
      {
        id: 'aws.throttling',
        class: 'rate_limit',
        weight: 7,
        match:
          /\b(?:ThrottlingException|Throttling|ThrottledException|TooManyRequestsException|RequestLimitExceeded|SlowDown|ProvisionedThroughputExceededException|RequestThrottled(?:Exception)?|PriorRequestNotComplete|BandwidthLimitExceeded|EC2ThrottledException|KMSThrottlingException)\b|Rate exceeded|reduce your request rate/i,
      },
      { id: 'aws.limit_exceeded', class: 'quota', weight: 5, match: /\bLimitExceededException\b/ },
      {
        id: 'aws.service_quota',
        class: 'quota',
        weight: 7,
        match:
          /\b(?:ServiceQuotaExceededException|TooManyBuckets|QuotaExceededException)\b|Daily message quota exceeded|sending quota/i,
      },
      {
        id: 'aws.credentials',
        class: 'auth',
        weight: 7,
        match:
          /\b(?:ExpiredToken(?:Exception)?|InvalidClientTokenId|UnrecognizedClientException|SignatureDoesNotMatch|InvalidAccessKeyId|InvalidSignatureException|IncompleteSignature|AuthFailure|TokenRefreshRequired|NotAuthorizedException)\b|security token included in the request is (?:expired|invalid)|AWS Access Key Id you provided does not exist/,
        note: 'the AWS access key, secret or session token is wrong or expired',
      },
      { id: 'aws.missing_token', class: 'auth', weight: 4, match: /\bMissingAuthenticationToken\b/ },
      {
        id: 'aws.access_denied',
        class: 'permission',
        weight: 7,
        match:
          /\b(?:AccessDenied(?:Exception)?|UnauthorizedOperation|AuthorizationError|AllAccessDisabled|KMSAccessDeniedException|OptInRequired)\b|is not authorized to perform/,
        note: 'the IAM policy of these credentials does not allow this action on this resource',
      },
      {
        id: 'aws.not_found',
        class: 'not_found',
        weight: 7,
        match:
          /\b(?:NoSuchKey|NoSuchBucket|NoSuchUpload|NoSuchEntity|NoSuchVersion|ResourceNotFoundException|NotFoundException|QueueDoesNotExist|NonExistentQueue)\b|Function not found|Requested resource not found/,
      },
      {
        id: 'aws.validation',
        class: 'validation',
        match:
          /\b(?:ValidationError|InvalidParameterValue(?:Exception)?|InvalidParameterException|InvalidParameterCombination|MissingParameter|InvalidArgument|MalformedXML|MalformedPolicyDocument|SerializationException|InvalidRequestException|InvalidInput|InvalidParameter|InvalidQueryParameter|KeyTooLongError|InvalidBucketName|BadDigest|InvalidDigest)\b/,
      },
      // ValidationException is AWS's envelope for any input problem, size limits included.
      { id: 'aws.validation_exception', class: 'validation', weight: 4, match: /\bValidationException\b/ },
      {
        id: 'aws.conflict',
        class: 'conflict',
        weight: 7,
        match:
          /\b(?:ConditionalCheckFailedException|TransactionConflictException|TransactionCanceledException|BucketAlreadyExists|BucketAlreadyOwnedByYou|ResourceConflictException|ResourceInUseException|ConflictException|OperationAborted|ResourceAlreadyExistsException|EntityAlreadyExists|AlreadyExistsException|IdempotentParameterMismatch|ConcurrentModificationException)\b/,
      },
      {
        id: 'aws.too_large',
        class: 'payload_too_large',
        weight: 8,
        match:
          /\b(?:RequestEntityTooLarge(?:Exception)?|EntityTooLarge|MaxMessageSizeExceeded|RequestTooLarge|ItemCollectionSizeLimitExceededException|MessageTooLong|BatchRequestTooLong|TooManyEntriesInBatchRequest)\b|Item size (?:to update )?has exceeded the maximum allowed size|Message must be shorter than|Request must be smaller than|exceeds the maximum allowed payload size/,
      },
      {
        id: 'aws.server',
        class: 'upstream_5xx',
        match:
          /\b(?:InternalError|InternalFailure|InternalServerError|InternalServiceError|ServiceUnavailable(?:Exception)?|ServiceException|ServiceFailure|InternalServerException)\b/,
      },
      {
        id: 'aws.timeout',
        class: 'timeout',
        weight: 7,
        match:
          /\bRequestTimeout(?:Exception)?\b|Task timed out after|not read from or written to within the timeout period|Endpoint request timed out/,
      },
      {
        id: 'aws.setup',
        class: 'config',
        weight: 8,
        match:
          /\b(?:PermanentRedirect|AuthorizationHeaderMalformed|IllegalLocationConstraintException|RequestTimeTooSkewed|InvalidRegion|UnknownEndpoint|CredentialsProviderError|InvalidLocationConstraint)\b|Could not load credentials from any providers|Missing (?:credentials|region) in config|Region is missing|must be addressed using the specified endpoint|the region '[\w-]+' is wrong|Email address is not verified|identities failed the check/,
        note: 'the region, endpoint, clock or verified identity set up for this connection is wrong',
        fix: "Set the connection's AWS region/endpoint to the resource's region, sync the runner's clock, verify the SES identity in that region, and make sure credentials are configured.",
      },
      {
        id: 'aws.endpoint_connection',
        class: 'network',
        weight: 6,
        match: /EndpointConnectionError|Could not connect to the endpoint URL|NetworkingError/,
      },
    ],
  },
  {
    provider: 'openai',
    rules: [
      {
        id: 'openai.insufficient_quota',
        class: 'quota',
        weight: 8,
        match:
          /\b(?:insufficient_quota|billing_hard_limit_reached|billing_not_active|access_terminated)\b|You exceeded your current quota|check your plan and billing details/,
        note: 'the OpenAI account is out of credit or hit its billing limit (insufficient_quota); retries will not help',
      },
      {
        id: 'openai.rate_limit',
        class: 'rate_limit',
        weight: 7,
        match: /\brate_limit_exceeded\b|Rate limit reached for|on (?:tokens|requests) per min/,
      },
      {
        id: 'openai.context_length',
        class: 'payload_too_large',
        weight: 8,
        match:
          /\b(?:context_length_exceeded|string_above_max_length)\b|maximum context length is|reduce the length of the messages/,
        note: "the prompt plus completion exceeds the model's context window",
      },
      {
        id: 'openai.request_too_large',
        class: 'payload_too_large',
        weight: 9,
        match: /Request too large for [\w.-]+.*(?:must be reduced|reduce)/,
        note: 'a single request asks for more tokens than the per-minute limit allows',
      },
      {
        id: 'openai.api_key',
        class: 'auth',
        weight: 7,
        match:
          /\b(?:invalid_api_key|invalid_authentication)\b|Incorrect API key provided|You didn't provide an API key/,
      },
      {
        id: 'openai.access',
        class: 'permission',
        weight: 7,
        match:
          /\b(?:unsupported_country_region_territory|account_deactivated)\b|not allowed to sample from this model|does not have access to model/,
      },
      {
        id: 'openai.model_not_found',
        class: 'not_found',
        weight: 7,
        match: /\bmodel_not_found\b|The model `[^`]+` does not exist/,
      },
      {
        id: 'openai.invalid_url',
        class: 'config',
        weight: 7,
        match: /Invalid URL \((?:GET|POST|PUT|DELETE|PATCH) /,
        fix: 'Fix the base URL/path of the OpenAI step (https://api.openai.com/v1 plus the documented endpoint path).',
      },
      {
        id: 'openai.server',
        class: 'upstream_5xx',
        weight: 7,
        match:
          /\b(?:server_error|engine_overloaded)\b|server had an error (?:while )?processing your request|currently overloaded with other requests|engine is currently overloaded/,
      },
      {
        id: 'openai.invalid_request',
        class: 'validation',
        match:
          /\b(?:invalid_value|invalid_type|missing_required_parameter|unknown_parameter|invalid_image|invalid_prompt|content_policy_violation|content_filter|unsupported_value)\b|Unrecognized request argument supplied/,
      },
    ],
  },
  {
    provider: 'anthropic',
    rules: [
      { id: 'anthropic.credit', class: 'quota', weight: 8, match: /credit balance is too low/i },
      {
        id: 'anthropic.prompt_too_long',
        class: 'payload_too_large',
        weight: 8,
        match: /prompt is too long/i,
      },
    ],
  },
  {
    provider: 'github',
    rules: [
      {
        id: 'github.rate_limit',
        class: 'rate_limit',
        weight: 8,
        match: /API rate limit exceeded|secondary rate limit|abuse detection mechanism/i,
        note: "GitHub's primary or secondary rate limit was hit (sent as 403)",
      },
      {
        id: 'github.bad_credentials',
        class: 'auth',
        weight: 7,
        match: /Bad credentials|Requires authentication|\bbad_verification_code\b/,
      },
      {
        id: 'github.integration_access',
        class: 'permission',
        weight: 7,
        match:
          /Resource not accessible by (?:integration|personal access token)|Must have (?:admin|push) (?:rights|access)|SAML enforcement|OAuth App access restrictions|Repository access blocked|appear to have the correct authorization credentials/,
      },
      {
        id: 'github.validation_failed',
        class: 'validation',
        match: /Validation Failed|Problems parsing JSON|"code"\s*:\s*"(?:missing_field|invalid|missing)"/,
      },
      {
        id: 'github.already_exists',
        class: 'conflict',
        weight: 8,
        match:
          /"code"\s*:\s*"already_exists"|Reference already exists|A pull request already exists|Merge conflict|not mergeable|Update is not a fast forward|is at [0-9a-f]{7,40} but expected/,
      },
    ],
  },
  {
    provider: 'gitlab',
    rules: [
      { id: 'gitlab.retry_later', class: 'rate_limit', weight: 6, scoped: true, match: /Retry later/i },
    ],
  },
  {
    provider: 'twitter',
    rules: [
      { id: 'twitter.rate_limit', class: 'rate_limit', weight: 7, scoped: true, match: /"code"\s*:\s*88\b/ },
      {
        id: 'twitter.usage_cap',
        class: 'quota',
        weight: 8,
        match:
          /UsageCapExceeded|usage-capped|Monthly product cap|over daily status update limit|"code"\s*:\s*185\b/i,
        note: "the X API plan's monthly post/read cap is spent",
      },
      {
        id: 'twitter.access_level',
        class: 'permission',
        weight: 8,
        match:
          /You currently have access to a subset of|"code"\s*:\s*(?:453|261|226|64|63)\b|Application cannot perform write actions|looks like it might be automated|User has been suspended|not-authorized-for-resource|resource-unavailable/i,
      },
      {
        id: 'twitter.client_not_enrolled',
        class: 'config',
        weight: 8,
        match:
          /client-not-enrolled|client-forbidden|must use keys and tokens from a Twitter developer App that is attached to a Project/i,
        fix: 'Attach the X developer App whose keys the connection uses to a Project in the developer portal, or use keys of an App that is.',
      },
      {
        id: 'twitter.duplicate',
        class: 'conflict',
        weight: 7,
        match: /duplicate content|Status is a duplicate|"code"\s*:\s*187\b|duplicate-rules/i,
      },
      {
        id: 'twitter.too_long',
        class: 'payload_too_large',
        weight: 7,
        match: /needs to be a bit shorter|Tweet text is too long|"code"\s*:\s*186\b/i,
      },
      {
        id: 'twitter.not_found',
        class: 'not_found',
        weight: 7,
        match: /No status found with that ID|resource-not-found|"code"\s*:\s*(?:144|34|50)\b/i,
      },
      { id: 'twitter.invalid_request', class: 'validation', match: /problems\/invalid-request/i },
    ],
  },
  {
    provider: 'postgres',
    rules: [
      {
        id: 'postgres.unique',
        class: 'conflict',
        weight: 8,
        match: /duplicate key value violates unique constraint|\b23505\b/,
      },
      {
        id: 'postgres.serialization',
        class: 'conflict',
        weight: 7,
        retryable: true,
        match: /deadlock detected|could not serialize access|\b40001\b|\b40P01\b/,
      },
      {
        id: 'postgres.auth',
        class: 'auth',
        weight: 8,
        match: /password authentication failed for user|no pg_hba\.conf entry|\b28P01\b/,
      },
      {
        id: 'postgres.undefined_table',
        class: 'not_found',
        weight: 7,
        match: /relation "[^"]+" does not exist|\b42P01\b/,
      },
      {
        id: 'postgres.data',
        class: 'validation',
        weight: 7,
        match:
          /violates not-null constraint|violates check constraint|violates foreign key constraint|invalid input syntax for type|value too long for type|out of range for type|\b(?:23502|23503|23514|22P02|22001|22003)\b/,
      },
      {
        id: 'postgres.privilege',
        class: 'permission',
        weight: 7,
        match: /permission denied for (?:table|relation|schema|database|sequence|function)|\b42501\b/,
      },
      {
        id: 'postgres.too_many_clients',
        class: 'rate_limit',
        weight: 7,
        match: /too many clients already|remaining connection slots are reserved|\b53300\b/,
      },
      {
        id: 'postgres.statement_timeout',
        class: 'timeout',
        weight: 7,
        match: /canceling statement due to statement timeout|\b57014\b/,
      },
      {
        id: 'postgres.dropped',
        class: 'network',
        weight: 6,
        match:
          /Connection terminated unexpectedly|server closed the connection unexpectedly|terminating connection due to administrator command/,
      },
      {
        id: 'postgres.database',
        class: 'config',
        weight: 7,
        match: /database "[^"]+" does not exist|\b3D000\b/,
        fix: 'Set the database name in the connection to an existing database (or create it).',
      },
      {
        id: 'postgres.starting',
        class: 'upstream_5xx',
        weight: 6,
        match: /the database system is (?:starting up|shutting down|in recovery mode)|\b57P03\b/,
      },
      {
        id: 'postgres.disk',
        class: 'quota',
        weight: 6,
        match: /could not extend file|No space left on device|\b53100\b/,
      },
    ],
  },
  {
    provider: 'mysql',
    rules: [
      {
        id: 'mysql.dup_entry',
        class: 'conflict',
        weight: 8,
        match: /ER_DUP_ENTRY|Duplicate entry '[^']*' for key/,
      },
      {
        id: 'mysql.access_denied',
        class: 'auth',
        weight: 8,
        match: /ER_ACCESS_DENIED_ERROR|Access denied for user '[^']*'@'[^']*' \(using password/,
      },
      {
        id: 'mysql.lock',
        class: 'conflict',
        weight: 7,
        retryable: true,
        match:
          /ER_LOCK_DEADLOCK|Deadlock found when trying to get lock|ER_LOCK_WAIT_TIMEOUT|Lock wait timeout exceeded/,
      },
      {
        id: 'mysql.no_table',
        class: 'not_found',
        weight: 7,
        match: /ER_NO_SUCH_TABLE|Table '[^']+' doesn't exist/,
      },
      {
        id: 'mysql.bad_value',
        class: 'validation',
        weight: 7,
        match:
          /ER_DATA_TOO_LONG|Data too long for column|ER_BAD_NULL_ERROR|cannot be null|ER_NO_DEFAULT_FOR_FIELD|doesn't have a default value|ER_TRUNCATED_WRONG_VALUE|Incorrect \w+ value/,
      },
      {
        id: 'mysql.connections',
        class: 'rate_limit',
        weight: 7,
        match: /ER_CON_COUNT_ERROR|Too many connections/,
      },
      {
        id: 'mysql.table_access',
        class: 'permission',
        weight: 7,
        match: /ER_TABLEACCESS_DENIED_ERROR|command denied to user/,
      },
      {
        id: 'mysql.bad_db',
        class: 'config',
        weight: 7,
        match: /ER_BAD_DB_ERROR|Unknown database/,
        fix: 'Set the database name in the MySQL connection to an existing database (or create it).',
      },
      {
        id: 'mysql.lost',
        class: 'network',
        weight: 6,
        match:
          /PROTOCOL_CONNECTION_LOST|ER_SERVER_SHUTDOWN|Connection lost: The server closed the connection/,
      },
      {
        id: 'mysql.query_timeout',
        class: 'timeout',
        weight: 6,
        match: /ER_QUERY_TIMEOUT|max_execution_time exceeded|Query execution was interrupted/,
      },
      {
        id: 'mysql.packet',
        class: 'payload_too_large',
        weight: 7,
        match: /ER_NET_PACKET_TOO_LARGE|bigger than 'max_allowed_packet'/,
      },
    ],
  },
  {
    provider: 'mongodb',
    rules: [
      { id: 'mongodb.duplicate_key', class: 'conflict', weight: 8, match: /E11000 duplicate key error/ },
      {
        id: 'mongodb.write_conflict',
        class: 'conflict',
        weight: 7,
        retryable: true,
        match: /\bWriteConflict\b/,
      },
      {
        id: 'mongodb.network',
        class: 'network',
        weight: 7,
        match:
          /MongoServerSelectionError|Server selection timed out|MongoNetworkError|MongoNetworkTimeoutError/,
      },
      {
        id: 'mongodb.auth',
        class: 'auth',
        weight: 7,
        match: /\bbad auth\b|\bAuthenticationFailed\b|Authentication failed\./,
      },
      {
        id: 'mongodb.not_authorized',
        class: 'permission',
        weight: 7,
        match: /not authorized on \S+ to execute command/,
      },
      {
        id: 'mongodb.too_large',
        class: 'payload_too_large',
        weight: 7,
        match: /BSONObjectTooLarge|document is larger than the maximum size|object to insert too large/,
      },
      {
        id: 'mongodb.max_time',
        class: 'timeout',
        weight: 7,
        match: /MaxTimeMSExpired|operation exceeded time limit/,
      },
      { id: 'mongodb.doc_validation', class: 'validation', weight: 7, match: /Document failed validation/ },
      {
        id: 'mongodb.namespace',
        class: 'not_found',
        weight: 6,
        match: /NamespaceNotFound|ns does not exist|ns not found/,
      },
    ],
  },
];
