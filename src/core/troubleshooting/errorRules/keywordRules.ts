import type { KeywordRule } from '../errorRule.ts';

// Provider-independent evidence: Node/undici error codes, TLS failures and the phrases APIs use
// across the board. Weights sit between a bare HTTP status (1-3) and a documented provider
// code (6+). Patterns look behind for letters so `ENOTFOUND` is not "not found" and
// `ETIMEDOUT` is not "timed out".
export const keywordRules: readonly KeywordRule[] = [
  // network: the request never got a complete answer from the server
  {
    id: 'node.socket_error',
    class: 'network',
    weight: 5,
    match:
      /\b(?:ECONNRESET|ECONNREFUSED|ENOTFOUND|EAI_AGAIN|EHOSTUNREACH|ENETUNREACH|ENETDOWN|EHOSTDOWN|EPIPE|EPROTO|ECONNCLOSED|UND_ERR_SOCKET|UND_ERR_CLOSED|ERR_SOCKET_CONNECTION_TIMEOUT|ERR_STREAM_PREMATURE_CLOSE|PROTOCOL_CONNECTION_LOST)\b/,
  },
  { id: 'node.etimedout', class: 'network', weight: 4, match: /\b(?:ETIMEDOUT|UND_ERR_CONNECT_TIMEOUT)\b/ },
  { id: 'net.socket_hang_up', class: 'network', weight: 5, match: /socket hang[\s-]?up/i },
  {
    id: 'net.dns',
    class: 'network',
    weight: 4.5,
    match:
      /getaddrinfo|dns (?:lookup|resolution)|name resolution|could not resolve (?:host|hostname)|temporary failure in name resolution|name or service not known/i,
  },
  {
    id: 'net.connection_dropped',
    class: 'network',
    weight: 4,
    match:
      /connection (?:was )?(?:reset|refused|closed|aborted|terminated|lost)|reset by peer|broken pipe|network (?:error|is unreachable|unreachable)|no route to host|other side closed|fetch failed|socket (?:closed|disconnected)|network socket disconnected|connect(?:ion)? timeout error|connection error|could not connect to (?:the )?(?:endpoint|server|host)|unable to connect|failed to connect|premature close|unexpected end of (?:file|stream)|\bEOF\b/i,
  },
  {
    id: 'net.tls',
    class: 'network',
    weight: 4.5,
    match:
      /\b(?:CERT_[A-Z_]+|ERR_TLS_[A-Z_]+|UNABLE_TO_VERIFY_LEAF_SIGNATURE|UNABLE_TO_GET_ISSUER_CERT(?:_LOCALLY)?|DEPTH_ZERO_SELF_SIGNED_CERT|SELF_SIGNED_CERT_IN_CHAIN)\b|self[\s-]signed certificate|certificate (?:has expired|verify failed|is not yet valid|chain)|unable to verify the first certificate|unable to get (?:local )?issuer certificate|\b(?:TLS|SSL) (?:handshake|connection|error|alert)|ssl routines|wrong version number|handshake (?:failure|failed|timed out)/i,
  },

  // timeout: the server or a gateway gave up waiting
  {
    id: 'generic.timed_out',
    class: 'timeout',
    weight: 3.5,
    match:
      /(?<![a-z])timed?[\s_-]?out(?![a-z])|(?<![a-z])timeout(?:error|exception)?(?![a-z])|timeout of \d+\s*ms exceeded|timeout awaiting|deadline[\s_-]?exceeded|took too long|execution expired|request (?:took|ran) too long/i,
  },
  { id: 'node.esockettimedout', class: 'timeout', weight: 4.5, match: /\bESOCKETTIMEDOUT\b/ },
  {
    id: 'generic.TimeoutCamel',
    class: 'timeout',
    weight: 3.5,
    match: /[a-z](?:Timeout|TimedOut)|\bTimeout(?:Error|Exception)\b/,
  },
  { id: 'generic.gateway_timeout', class: 'timeout', weight: 4, match: /gateway[\s_-]?time-?out/i },

  // rate_limit: too many calls in a short window; waiting helps
  {
    id: 'generic.rate_limit',
    class: 'rate_limit',
    weight: 3.5,
    match: /rate[\s_-]?limit(?:ed|ing|s)?(?![a-z])|ratelimit(?:ed)?|rate exceeded/i,
  },
  {
    id: 'generic.too_many_requests',
    class: 'rate_limit',
    weight: 3.5,
    match: /too[\s_-]?many[\s_-]?requests/i,
  },
  { id: 'generic.throttled', class: 'rate_limit', weight: 3.5, match: /throttl(?:ed|ing|e)/i },
  { id: 'generic.slow_down', class: 'rate_limit', weight: 2.5, match: /\bslow[\s_-]?down\b/i },
  { id: 'generic.retry_after', class: 'rate_limit', weight: 2, match: /retry[\s_-]?after|x-ratelimit/i },
  {
    id: 'generic.short_window',
    class: 'rate_limit',
    weight: 3,
    match:
      /\bper[\s_-](?:second|sec|minute|min|10 seconds|ten seconds|100 seconds|hour)\b|\bsecondly\b|\b(?:TPM|RPM|RPS|QPS)\b|calls? per second|requests? per (?:second|minute)/i,
  },
  {
    id: 'generic.concurrency',
    class: 'rate_limit',
    weight: 2.5,
    match:
      /(?:concurrent|simultaneous|parallel) (?:requests|connections|calls|api calls)|too many (?:concurrent|simultaneous|api calls|calls)|request rate|sending rate|reduce (?:your )?request (?:rate|frequency)/i,
  },
  { id: 'generic.try_again_in', class: 'rate_limit', weight: 1.5, match: /(?:try|retry) again in \d/i },

  // quota: an allowance for the day/month/plan is spent; retries will not pass
  { id: 'generic.quota', class: 'quota', weight: 3, match: /quota/i },
  {
    id: 'generic.insufficient_balance',
    class: 'quota',
    weight: 4,
    match:
      /insufficient[\s_-](?:quota|balance|credits?)|credit balance|out of credits|no (?:remaining )?credits|maximum credits exceeded/i,
  },
  {
    id: 'generic.billing',
    class: 'quota',
    weight: 2.5,
    match:
      /billing|payment required|upgrade (?:your|the) (?:plan|account|subscription)|plan limit|limit of your (?:current )?plan/i,
  },
  {
    id: 'generic.long_window',
    class: 'quota',
    weight: 2.5,
    match:
      /\b(?:daily|monthly|per[\s_-]day|per[\s_-]month|(?:this|current|each|a) (?:day|month|billing cycle)|24[\s-]?hours?|billing period|usage cap|usage limit|hard[\s_-]limit)\b/i,
  },
  {
    id: 'generic.period_allowance',
    class: 'quota',
    weight: 4.5,
    match:
      /(?:daily|monthly|yearly|annual)[\s_-](?:limit|quota|cap|allowance|budget)|(?:limit|quota|cap|allowance) (?:for|of) (?:the|this|your) (?:day|month|billing period)/i,
  },
  {
    id: 'generic.storage_full',
    class: 'quota',
    weight: 3.5,
    match:
      /storage (?:quota|limit|space)|insufficient (?:storage|space)|out of (?:storage|space)|disk quota|not enough (?:storage|space)|mailbox (?:is )?full/i,
  },

  // auth: the credentials themselves are rejected
  {
    id: 'generic.unauthorized',
    class: 'auth',
    weight: 3,
    match:
      /\bunauthori[sz]ed\b|unauthenticated|not authenticated|authentication (?:failed|failure|required|error|credentials)|authentication[\w\s]{1,25} failed|invalid (?:login|username)|(?:username|password)(?: and password)? not accepted/i,
  },
  {
    id: 'generic.bad_credentials',
    class: 'auth',
    weight: 3.5,
    match:
      /invalid[\s_-](?:api[\s_-]?key|access[\s_-]?token|auth(?:entication)?(?:[\s_-]token)?|token|credentials|session|bearer|refresh[\s_-]?token|oauth|client[\s_-]secret|secret|password|signature)|bad credentials|incorrect (?:api[\s_-]?key|password|username)|wrong (?:api[\s_-]?key|password)|could not authenticate|couldn't authenticate|login (?:failed|required)|not_authed|invalid_grant|api key (?:is )?(?:missing|invalid|not valid)|(?:missing|no) (?:api[\s_-]?key|access token|bearer token|authorization header)|(?:api[\s_-]?key|access[\s_-]?token|auth(?:entication)?[\s_-]token|credentials|password|secret) (?:is|was|are|were) (?:invalid|incorrect|wrong|not valid|expired|revoked)/i,
  },
  {
    id: 'generic.expired_credentials',
    class: 'auth',
    weight: 4,
    match:
      /(?:token|session|credentials?|api[\s_-]?key|grant)(?: has| have| is| was)?(?: been)? (?:expired|revoked)|expired[\s_-](?:access[\s_-])?(?:token|session|credentials)|token[\s_-](?:expired|revoked)|re-?authenticate|re-?authori[sz]e|reconnect (?:your|the) account/i,
  },

  // permission: valid credentials, but not allowed to do this
  {
    id: 'generic.forbidden',
    class: 'permission',
    weight: 2.5,
    match: /\bforbidden\b|access[\s_-]?denied|permission[\s_-]?denied|not permitted|operation not allowed/i,
  },
  {
    id: 'generic.insufficient_rights',
    class: 'permission',
    weight: 3.5,
    match:
      /insufficient[\s_-](?:privileges?|permissions?|scopes?|access|rights)|missing[\s_-](?:scopes?|permissions?)|(?:required|requires|needs?) (?:the )?(?:scopes?|permissions?|admin|owner)|not authori[sz]ed to|(?:do|does|did) not have (?:the )?(?:required )?(?:access|permissions?|rights)|don't have (?:the )?(?:required )?(?:access|permission)|lacks? (?:the )?(?:required )?(?:permissions?|access|scopes?)|not allowed to|(?:is|are) not a member|not in (?:the )?channel|must be verified to|scope/i,
  },
  { id: 'generic.permission_word', class: 'permission', weight: 2, match: /permission/i },
  {
    id: 'generic.blocked',
    class: 'permission',
    weight: 2.5,
    match:
      /\b(?:blocked|suspended|banned|deactivated|disabled) (?:by|account|user|app|application)|account (?:is )?(?:suspended|deactivated|disabled)|was blocked/i,
  },

  // not_found: the referenced thing does not exist (any more)
  {
    id: 'generic.not_found',
    class: 'not_found',
    weight: 3.5,
    match:
      /(?<![a-z])not[\s_-]?found|does ?n[o']t exist|do not exist|no such|could ?n[o']t (?:be )?f(?:i)?nd|cannot find|can't find|unable to find|no longer exists|has been deleted|was deleted|resource[_ ]missing|(?<![a-z])unknown[\s_](?:channel|user|message|guild|webhook|chat|object|record|resource|item|member|role|emoji|file|board|list)/i,
  },
  { id: 'generic.NotFound', class: 'not_found', weight: 3.5, match: /NotFound|NoSuch[A-Z]|NonExistent/ },

  // conflict: the target's state clashes with the request
  {
    id: 'generic.conflict',
    class: 'conflict',
    weight: 3.5,
    match:
      /conflict|unique (?:value|constraint|key|violation)|(?:must|should) be unique|not unique|already in (?:use|database|the database|the system|the list)|already[\s_-](?:exists?|been taken|taken|in use|registered|subscribed|a member|in[\s_]channel|reacted|pinned|archived|processed|used)|already (?:been )?(?:fulfilled|paid|cancell?ed|completed|refunded|captured|submitted|closed|merged|approved|voided)|duplicate|concurrent(?:ly)? (?:modifi|update|edit)|version (?:mismatch|conflict)|precondition failed|etag|idempoten|(?:was|has been) modified|deadlock|lock wait|could not (?:obtain|acquire) (?:a )?lock|record (?:is )?locked/i,
  },

  // payload_too_large: the request is too big as a whole; smaller batches pass
  {
    id: 'generic.too_large',
    class: 'payload_too_large',
    weight: 3.5,
    match:
      /too[\s_-]?large|too[\s_-]?big|(?<!took )too[\s_-]?long|entity[\s_-]?too[\s_-]?large|payload (?:is )?too|maximum (?:context )?length|context[\s_-]?length|context window|exceeds? (?:the )?(?:max(?:imum)?|allowed|size|length|limit)[\w\s]{0,40}(?:size|length|bytes|tokens|characters|chars|records|items|rows|entries)|(?:size|length) (?:limit )?(?:exceeded|exceeds)|too many (?:records|items|rows|entries|recipients|attachments|elements|blocks|objects|ids|inputs|operations)|batch (?:size|limit)|request (?:body|size|payload)[\w\s]{0,20}(?:exceed|too|limit)|max(?:imum)? (?:request|payload|file|upload|body|message) size|must be (?:shorter|smaller) than|or fewer in length/i,
  },

  {
    id: 'generic.context_window',
    class: 'payload_too_large',
    weight: 4.5,
    match:
      /maximum context length|context[\s_-](?:length|window)|too many (?:input )?tokens|tokens? (?:>|exceeds?) (?:the )?\d*\s*maximum|prompt is too long|input is too long/i,
  },

  // upstream_5xx: the provider failed on its side
  {
    id: 'generic.server_error',
    class: 'upstream_5xx',
    weight: 3.5,
    match:
      /internal[\s_-]?(?:server[\s_-]?)?(?:error|failure)|internalerror|server[\s_-]?error|bad[\s_-]?gateway|service[\s_-]?(?:is )?(?:temporarily )?unavailable|temporarily unavailable|backend[\s_-]?error|upstream (?:error|connect|server)/i,
  },
  {
    id: 'generic.overloaded',
    class: 'upstream_5xx',
    weight: 3,
    match:
      /overloaded|over capacity|at capacity|under maintenance|\bmaintenance\b|unexpected error|an error occurred on our (?:side|end)|something went wrong on our (?:side|end)|try again later|\bunavailable\b|outage|degraded/i,
  },

  // validation: the request data is wrong
  {
    id: 'generic.validation',
    class: 'validation',
    weight: 3,
    match:
      /validation|validat(?:e|ing) |failed to validate|unprocessable|malformed|bad[\s_-]?request|is required|are required|(?:required|mandatory) (?:field|param(?:eter)?|property|argument|value)|missing[\s_-](?:required[\s_-])?(?:field|param(?:eter)?|property|argument|value|input)|can(?:no|')t be (?:blank|empty|null)|must not be (?:blank|empty|null)|must be (?:a|an|one of|between|at least|at most|greater|less|provided|specified|valid)|is not (?:a )?valid|not a valid|is invalid|invalid (?:value|format|parameter|param|argument|input|request|json|email|date|type|field|id|character|syntax|phone|number)|(?:parse|parsing|syntax) error|could not (?:parse|decode)|unable to parse|unknown (?:field|parameter|property|argument|attribute)|unexpected (?:field|parameter|token)|wrong type|type mismatch|out of range|declined|constraint/i,
  },
  { id: 'generic.invalid_word', class: 'validation', weight: 1.5, match: /(?<![a-z])invalid/i },
  {
    // An argument the request names is not accepted, or a variable's value is wrong. Unknown
    // fields, columns and properties are a mapping problem: config.unknown_field.
    id: 'generic.unknown_field',
    class: 'validation',
    weight: 4.5,
    match:
      /(?:argument|parameter) ['"`]?[\w.$-]+['"`]? (?:doesn't|does not|don't) exist|got invalid value|BAD_USER_INPUT/i,
  },

  // config: the step or connection is set up wrongly (endpoint, region, API version, sender)
  {
    id: 'generic.config',
    class: 'config',
    weight: 3.5,
    match:
      /misconfigur|not configured|configuration (?:error|is invalid|missing)|proxy authentication|invalid (?:request )?(?:url|uri|endpoint|base[\s_-]?url|host(?:name)?|region|domain|subdomain|instance(?: url)?|webhook url|redirect[\s_-]?uri|client[\s_-]?id)|unsupported protocol|only absolute urls|ERR_INVALID_URL|wrong (?:region|endpoint|datacenter|data center|environment|instance|subdomain)|must be addressed using the specified endpoint|(?:api[\s_-]?)?version (?:is )?(?:not supported|unsupported|deprecated|sunset)|unsupported (?:api )?version|redirect_uri|(?:api|service|feature) (?:has not been|is not|isn't) enabled|has not been used in project|is disabled|environment variable|(?:sender|domain|from address|email address)[\w\s]{0,30}not (?:been )?verified|unverified (?:sender|domain)|sender identity|missing (?:required )?(?:region|endpoint|base[\s_-]?url|webhook url|configuration|setting)/i,
    fix: "Check the connection's base URL, region, account and API version, and that the API/sender is enabled and verified on the provider side.",
  },
  {
    id: 'generic.deprecated',
    class: 'config',
    weight: 2.5,
    match: /deprecated|no longer supported|has been retired|sunset/i,
    fix: "Move the step to the provider's current API version or endpoint named in its deprecation notice.",
  },
];
