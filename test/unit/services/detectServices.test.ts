import { describe, expect, it } from 'vitest';
import { buildCatalog, defaultCatalog } from '../../../src/core/services/serviceCatalog.ts';
import { compileCatalog, detectServices } from '../../../src/core/services/detectServices.ts';

const ids = (text: string): string[] =>
  detectServices(text)
    .services.map((s) => s.id)
    .sort();
/** Services the text names or implies by vocabulary, without those implied only by a role. */
const named = (text: string): string[] =>
  detectServices(text)
    .services.filter((s) => s.implied !== true)
    .map((s) => s.id)
    .sort();
const conf = (text: string, id: string): number | undefined =>
  detectServices(text).services.find((s) => s.id === id)?.confidence;

describe('detectServices: names', () => {
  it.each([
    ['Send a message to Slack', ['slack']],
    ['Summarise with ChatGPT', ['openai']],
    ['Classify with gpt-4o-mini', ['openai']],
    ['Log rows in gsheets', ['google-sheets']],
    ['Reply with Claude 3.5 Sonnet', ['anthropic']],
    ['Store vectors in Qdrant', ['qdrant']],
    ['Use Gemini 2.5 Flash', ['google-gemini']],
    ['Create an issue in Jira', ['jira']],
    ['New deal in HubSpot', ['hubspot']],
    ['monday.com board item', ['monday']],
    ['Book with Cal.com', ['cal-com']],
    ['Scrape with Apify actors', ['apify']],
    ['Draft replies with Sonnet 3.5', ['anthropic']],
    ['Haiku 4.5 classifies each ticket', ['anthropic']],
    ['Classify with 4o-mini', ['openai']],
    ['Draw a cover with DALL·E 3', ['openai']],
    ['Embed the chunks with Voyage', ['voyage-ai']],
    ['Embed with text-embedding-004', ['google-gemini']],
    ['Share the post on IG and FB', ['facebook', 'instagram']],
    ['Send it from O365 mail', ['microsoft-outlook']],
    ['Add the meeting to the Office 365 calendar', ['microsoft-outlook']],
    ['IG Metall strike news', []],
  ])('%s', (text, expected) => {
    expect(ids(text)).toEqual(expected);
  });

  it('reads context words the tokenizer splits ("3.5", "self-hosted") as phrases', () => {
    // "Sonnet" and "Haiku" need a model word or version nearby; a poem has none.
    expect(ids('Write a Haiku about spring and a Sonnet for autumn')).toEqual([]);
    expect(ids('Shakespeare Sonnet 3 times a day')).toEqual([]);
    expect(ids('Run Mistral on a self-hosted server')).not.toContain('mistral-ai');
    expect(ids('Run Mistral through its API')).toEqual(['mistral-ai']);
  });

  it('matches multi-word names, with hyphen, spacing and joined variants', () => {
    expect(ids('Append to Google Sheets and post in Microsoft Teams')).toEqual([
      'google-sheets',
      'microsoft-teams',
    ]);
    expect(ids('Append to Google-Sheets')).toEqual(['google-sheets']);
    expect(ids('Append to GoogleSheets')).toEqual(['google-sheets']);
    expect(ids('Models from HuggingFace')).toEqual(['hugging-face']);
    expect(ids('Models from Hugging Face')).toEqual(['hugging-face']);
    expect(ids('Call Open AI')).toEqual(['openai']);
    expect(ids('Call Open-AI')).toEqual(['openai']);
  });

  it('reads vendor names left out in a list ("Google Sheets and Docs")', () => {
    expect(ids('Save rows to Google Sheets and Docs')).toEqual(['google-docs', 'google-sheets']);
    expect(ids('Use Google Drive, Gmail, Docs and Calendar')).toEqual([
      'gmail',
      'google-calendar',
      'google-docs',
      'google-drive',
    ]);
    expect(ids('Trigger AWS Lambda and S3')).toEqual(['aws-lambda', 'aws-s3']);
    // Only capitalised words right after the list, never across a sentence, never plain words.
    expect(ids('Watch Google Drive and drive sales')).toEqual(['google-drive']);
    expect(ids('Append to Google Sheets. Docs are attached')).toEqual(['google-sheets']);
    expect(ids('Use Notion and Docs')).toEqual(['notion']);
    expect(ids('Answers with the Google Gemini Chat Model')).toEqual(['google-gemini']);
    // A negation covers the elided names too.
    expect(ids('Post to Slack, not Google Sheets or Docs')).toEqual(['slack']);
  });

  it('reads a name at the start of a camel-case compound', () => {
    expect(ids('An IT Ops SlackBot')).toEqual(['slack']);
    expect(ids('Starts from a GmailTrigger node')).toEqual(['gmail']);
    expect(ids('Writes to the NotionDB')).toEqual(['notion']);
    // Names with conditions keep them, and a word rejected as a whole is not read again in parts.
    expect(ids('Fit a LinearRegression model')).toEqual([]);
    expect(ids('Any OpenAI-compatible endpoint')).toEqual([]);
    expect(ids('Set a LineChart in the report')).toEqual([]);
  });

  it('reads a name past one typo, with a lower confidence', () => {
    expect(ids('Log leads to Goolge Sheets')).toEqual(['google-sheets']);
    expect(ids('Alert the Telegarm group')).toEqual(['telegram']);
    expect(ids('Post to the Telegramm channel')).toEqual(['telegram']);
    expect(ids('Sync contacts to Hubsopt')).toEqual(['hubspot']);
    expect(conf('Sync contacts to Hubsopt', 'hubspot')).toBeLessThan(
      conf('Sync contacts to HubSpot', 'hubspot') ?? 0,
    );
    // Short names, plurals and names that need their exact casing or context get no such leeway.
    expect(ids('Telegrams and slacking off')).toEqual([]);
    expect(ids('Check the Gmial inbox')).toEqual([]);
    expect(ids('Add a page in Notoin')).toEqual([]);
  });

  it('matches plurals and possessives', () => {
    expect(ids('Save to a Google Sheet')).toEqual(['google-sheets']);
    expect(ids("Read Slack's channel history")).toEqual(['slack']);
    expect(ids('Use OpenAI’s models')).toEqual(['openai']);
    expect(ids('Watch two Google Drives')).toEqual(['google-drive']);
    expect(ids('Create Trello cards')).toEqual(['trello']);
  });

  it('reports each service once, best confidence first', () => {
    const r = detectServices('Slack to Slack via Slack and Gmail, then gmail again');
    expect(r.services.map((s) => s.id)).toEqual(['slack', 'gmail']);
    for (const s of r.services) {
      expect(s.confidence).toBeGreaterThan(0);
      expect(s.confidence).toBeLessThanOrEqual(1);
    }
  });

  it('gives the display name with the id', () => {
    expect(detectServices('post to discord').services).toEqual([
      { id: 'discord', name: 'Discord', confidence: 0.95 },
    ]);
  });
});

describe('detectServices: word boundaries and ambiguous names', () => {
  it('does not match inside words', () => {
    expect(ids('Monitor search results with Xquik')).toEqual(['xquik']);
    expect(ids('Check the inbox and the toolbox')).toEqual([]);
    expect(ids('Draw on a canvas')).toEqual([]);
    expect(ids('Telegrams and slacking off')).toEqual([]);
  });

  it('takes a bare vendor name for its CRM only when no other product of the vendor follows', () => {
    expect(ids('Sync Zoho contacts to Slack')).toEqual(['slack', 'zoho-crm']);
    // Both are known to the generated catalog; neither is the CRM.
    expect(ids('Send invoices from Zoho Books by Zoho Mail')).toEqual(['zoho-books', 'zoho-mail']);
    expect(ids('Call Claude models on Bedrock')).toContain('aws-bedrock');
    expect(ids('Trust is the bedrock of support')).toEqual([]);
  });

  it('takes X as Twitter only in a clear context', () => {
    expect(ids('Post new videos to X every day')).toContain('twitter');
    expect(ids('Share the thread on X')).toContain('twitter');
    expect(ids('Multiply X by two')).toEqual([]);
    expect(ids('A 10x faster pipeline')).toEqual([]);
  });

  it('keeps common words that are also product names apart from the products', () => {
    expect(ids('Every Monday morning, send a report')).toEqual([]);
    expect(ids('Add line items to the invoice')).toEqual([]);
    expect(ids('Fit a linear regression')).toEqual([]);
    expect(ids('Zoom in on the chart')).toEqual([]);
    expect(ids('Reply to LINE messages')).toEqual(['line']);
    expect(ids('Create Linear issues from bugs')).toEqual(['linear']);
    expect(ids('Summarise Zoom meetings')).toEqual(['zoom']);
    expect(ids('Save the page to Notion')).toEqual(['notion']);
  });

  it('does not join words across a sentence break', () => {
    expect(ids('Pick only one. Note that it is fast.')).toEqual([]);
  });

  it('reads a local model name next to a local runtime as that runtime', () => {
    expect(ids('Run Mistral locally with Ollama')).toEqual(['ollama']);
    expect(ids('Answer with Mistral and store in Qdrant')).toEqual(['mistral-ai', 'qdrant']);
  });

  it('does not take an OpenAI-compatible API for OpenAI', () => {
    expect(ids('One OpenAI-compatible API key for the DaoXE gateway')).toEqual(['daoxe']);
  });
});

describe('detectServices: negation', () => {
  it.each([
    ['Alert on Telegram, not Slack', ['telegram'], 'slack'],
    ['Works without Slack', [], 'slack'],
    ['Post to Discord instead of Slack', ['discord'], 'slack'],
    ['Use Teams rather than Slack', [], 'slack'],
    ['No OpenAI key needed: runs on Ollama', ['ollama'], 'openai'],
    ['Doesn’t use Airtable', [], 'airtable'],
  ])('%s', (text, expected, excluded) => {
    const r = detectServices(text, undefined, { explain: true });
    expect(r.services.map((s) => s.id).sort()).toEqual(expected);
    expect(r.excluded).toContain(excluded);
  });

  it('carries a negation over a list of names', () => {
    expect(named('Send email without Slack, Discord or Telegram')).toEqual([]);
    expect(ids('Without Slack and posts to Telegram')).toEqual(['telegram']);
  });

  it('is no negation in "not only"', () => {
    expect(ids('Not only Slack but also Discord')).toEqual(['discord', 'slack']);
  });

  it('keeps a service named both negated and plainly', () => {
    expect(ids('Post to Slack. Not Slack DMs, though.')).toEqual(['slack']);
  });

  it('does not imply a negated service', () => {
    expect(ids('An AI agent without OpenAI')).toEqual([]);
  });
});

describe('detectServices: implied services', () => {
  it('implies OpenAI from AI vocabulary when no other model provider is named, with lower confidence', () => {
    const c = conf('AI agent that classifies support tickets', 'openai');
    expect(c).toBeDefined();
    expect(c).toBeLessThan(0.9);
    expect(conf('Classify support tickets with OpenAI', 'openai')).toBeGreaterThan(0.9);
  });

  it('does not imply OpenAI when another model provider or a local model is named', () => {
    expect(ids('AI agent with Claude that answers in Slack')).toEqual(['anthropic', 'slack']);
    expect(ids('AI chatbot powered by Google Gemini')).toEqual(['google-gemini']);
    expect(ids('AI summaries from a local LLM')).toEqual([]);
    expect(ids('AI summaries with Llama 3')).toEqual([]);
  });

  it('implies services from their own vocabulary', () => {
    expect(ids('Schedule tweets for the week')).toEqual(['twitter']);
    expect(ids('Summarise the top posts of a subreddit')).toContain('reddit');
    expect(conf('Schedule tweets for the week', 'twitter')).toBeLessThan(0.9);
  });

  it('returns the most common product of an ambiguous role apart, as implied, with the others as candidates', () => {
    const r = detectServices('Forward each new email to the team', undefined, { explain: true });
    expect(r.services).toEqual([]);
    expect(r.implied).toEqual([
      { id: 'gmail', name: 'Gmail', confidence: 0.4, implied: true, role: 'email' },
    ]);
    expect(r.candidates?.map((c) => c.id)).toContain('microsoft-outlook');
    expect(r.candidates?.map((c) => c.id)).not.toContain('gmail');
    const sheet = detectServices('Append the totals to a spreadsheet', undefined, { explain: true });
    expect(sheet.services).toEqual([]);
    expect(sheet.implied?.map((s) => [s.id, s.implied])).toEqual([['google-sheets', true]]);
    // Without `explain` a guess is not returned at all: `services` holds what the text names.
    expect(detectServices('Forward each new email to the team')).toEqual({ services: [] });
  });

  it("implies a role's service from a cue, preferring the tenant's connected one", () => {
    const implied = (text: string, connected?: string[]) => {
      const r = detectServices(text, undefined, { explain: true, ...(connected ? { connected } : {}) });
      return [...r.services, ...(r.implied ?? [])].map((s) => [s.id, s.implied, s.confidence]);
    };
    expect(implied('Text me when the build fails')).toEqual([['twilio', true, 0.4]]);
    // The tenant's connected service is a service (confident enough to report), still marked implied.
    expect(implied('Text me when the build fails', ['slack', 'vonage'])).toEqual([['vonage', true, 0.7]]);
    expect(detectServices('Text me when it fails', undefined, { connected: ['vonage'] }).services).toEqual([
      { id: 'vonage', name: 'Vonage', confidence: 0.7, implied: true, role: 'sms' },
    ]);
    expect(implied('Post it to the team chat')).toEqual([['slack', true, 0.4]]);
    expect(implied('Post it to the team chat', ['microsoft-teams'])).toEqual([
      ['microsoft-teams', true, 0.7],
    ]);
    expect(implied('Save the attachment to cloud storage')).toEqual([['google-drive', true, 0.4]]);
    // A named product of the role leaves nothing to imply; so does a filler or a negation.
    expect(implied('Text me on WhatsApp when the build fails').map((s) => s[0])).toEqual(['whatsapp']);
    expect(implied('Send the report over SMTP email')).toEqual([]);
  });

  it('implies a vector store for a retrieval workflow (RAG, chat with a PDF) that names none', () => {
    const guess = (text: string) => {
      const r = detectServices(text, undefined, { explain: true });
      return { named: r.services.map((s) => s.id).sort(), implied: (r.implied ?? []).map((s) => s.id) };
    };
    expect(guess('A RAG chatbot over our Google Drive documents')).toEqual({
      named: ['google-drive', 'openai'],
      implied: ['pinecone'],
    });
    expect(guess('Chat with your PDF in Telegram').implied).toEqual(['pinecone']);
    expect(guess('Ask questions about a PDF using AI').implied).toEqual(['pinecone']);
    expect(guess('Store the embeddings in a vector database').implied).toEqual(['pinecone']);
    // A named store, or one that is no service, leaves nothing to guess.
    expect(guess('RAG chatbot that stores vectors in Qdrant')).toEqual({
      named: ['openai', 'qdrant'],
      implied: [],
    });
    expect(guess('A RAG agent on Supabase').implied).toEqual([]);
    expect(guess('Answer questions with an in-memory vector store').implied).toEqual([]);
    // Never a detection.
    expect(ids('Chat with your PDF in Telegram')).toEqual(['telegram']);
  });

  it('offers the CRMs for a deal and Trello for a card, and names Trello when the board is a kanban', () => {
    const cand = (text: string): string[] =>
      (detectServices(text, undefined, { explain: true }).candidates ?? []).map((c) => c.id).sort();
    expect(ids('Create a deal when a form is submitted')).toEqual([]);
    expect(cand('Create a deal when a form is submitted')).toEqual(['hubspot', 'pipedrive', 'salesforce']);
    expect(ids('Add a card for each new lead')).toEqual([]);
    expect(cand('Add a card for each new lead')).toEqual(['trello']);
    expect(ids('Move the cards along the kanban board')).toEqual(['trello']);
    // A named tool of the same kind takes the card; a credit card is no card of a board.
    expect(ids('Add a card to the Asana board')).toEqual(['asana']);
    expect(cand('Charge the credit card on file')).toEqual([]);
  });

  it('implies Perspective for toxicity scoring', () => {
    expect(ids('Flag toxic comments before they are published')).toEqual(['google-perspective']);
  });

  it('lets a protocol or local file fill the role instead', () => {
    const r = detectServices('Send the email over SMTP', undefined, { explain: true });
    expect(r.candidates?.map((c) => c.id)).not.toContain('gmail');
  });

  it('honours a custom threshold', () => {
    expect(
      detectServices('Forward each new email', undefined, { threshold: 0.2 }).services.map((s) => s.id),
    ).toContain('gmail');
    expect(detectServices('AI agent', undefined, { threshold: 0.99 }).services).toEqual([]);
  });
});

describe('detectServices: services of the generated catalog', () => {
  const explain = (text: string) => detectServices(text, undefined, { explain: true });
  const candidateIds = (text: string): string[] => (explain(text).candidates ?? []).map((c) => c.id);

  it('reports a distinctive name of a SaaS brand wherever it occurs', () => {
    expect(ids('Create invoices in Accelo')).toEqual(['accelo']);
    expect(ids('Accelo invoices are reconciled weekly')).toEqual(['accelo']);
    // Several words cased as the brand are distinctive too.
    expect(ids('Apple Calendar events are mirrored')).toEqual(['apple-calendar']);
  });

  it('takes a common-word name only when the text uses it as an integration', () => {
    expect(ids('ADP payroll numbers were reviewed')).toEqual([]);
    expect(candidateIds('ADP payroll numbers were reviewed')).toEqual(['adp']);
    expect(ids('Sync payroll from ADP to Slack')).toEqual(['adp', 'slack']);
    expect(ids('Read the ADP API for payroll')).toEqual(['adp']);
  });

  it('takes a brand of no SaaS category (simple-icons only) only when used as an integration', () => {
    expect(ids('Our Adidas store sells shoes')).toEqual([]);
    expect(explain('Our Adidas store sells shoes').candidates).toEqual([
      { id: 'adidas', name: 'Adidas', confidence: 0.45, terms: ['Adidas'] },
    ]);
    expect(ids('Post new orders to Adidas')).toEqual(['adidas']);
    expect(named('Tunova generates an original Suno AI song')).not.toContain('suno');
    expect(candidateIds('Tunova generates an original Suno AI song')).toContain('suno');
    expect(ids('Generate a song with Suno')).toContain('suno');
    // A list that starts as an integration makes every name in it one.
    expect(ids('Pull data from Notion, Suno and Slack')).toEqual(['notion', 'slack', 'suno']);
  });

  it('reports a name in passing when the caller lowers the threshold under its confidence', () => {
    const r = detectServices('Our Adidas store sells shoes', undefined, { threshold: 0.4 });
    expect(r.services).toEqual([{ id: 'adidas', name: 'Adidas', confidence: 0.45 }]);
  });

  it('lets a brand named in passing neither ask for its role nor fill it', () => {
    expect(explain('AgencyZoom leads were counted').implied).toEqual([]);
    const r = explain('Add each lead to the CRM. AgencyZoom leads were counted');
    expect(r.implied?.map((s) => s.id)).toEqual(['hubspot']);
    expect(r.candidates?.map((s) => s.id)).toEqual(['agencyzoom']);
    expect(ids('Add each lead to AgencyZoom')).toEqual(['agencyzoom']);
  });
});

describe('detectServices: examples and content formats', () => {
  it('does not count names given as examples', () => {
    expect(ids('Export to any destination (Notion, Slack, Google Sheets, etc.)')).toEqual([]);
    expect(ids('Send it to a chat tool, e.g. Slack or Discord')).toEqual([]);
  });

  it('does not count social platforms named as a content format', () => {
    expect(ids('Write posts for Twitter, LinkedIn and Instagram with Ollama')).toEqual(['ollama']);
    expect(ids('Publish the post to LinkedIn and Twitter')).toEqual(['linkedin', 'twitter']);
    expect(ids('A bot for Telegram')).toEqual(['telegram']);
  });
});

describe('detectServices: engine', () => {
  it('is pure and compiles a catalog once', () => {
    const text = 'Telegram bot with OpenAI and Supabase memory';
    expect(detectServices(text)).toEqual(detectServices(text));
    expect(compileCatalog(defaultCatalog())).toBe(compileCatalog(defaultCatalog()));
  });

  it('works with any catalog', () => {
    const c = buildCatalog([
      {
        group: 'test',
        description: '',
        services: [
          {
            id: 'acme-crm',
            name: 'Acme CRM',
            category: 'crm',
            aliases: ['acme crm', { text: 'ACME', caseSensitive: true }],
            vocabulary: [{ term: 'acme deal', weight: 0.6 }],
            triggers: [],
            actions: [],
          },
        ],
      },
    ]);
    expect(detectServices('Sync Acme CRM', c).services.map((s) => s.id)).toEqual(['acme-crm']);
    expect(detectServices('an acme product', c).services).toEqual([]);
    expect(detectServices('Close the ACME deal', c).services.map((s) => s.id)).toEqual(['acme-crm']);
    expect(detectServices('a new acme deal', c).services[0]?.confidence).toBe(0.6);
  });

  it('handles empty and odd input', () => {
    expect(detectServices('').services).toEqual([]);
    expect(detectServices('   \n\t ').services).toEqual([]);
    expect(detectServices('🚀📈 !!! ... ???').services).toEqual([]);
  });

  it('processes thousands of descriptions per second', () => {
    const texts = [
      'Daily AI digest of unread Gmail messages to Telegram, prioritised by urgency.',
      'Website leads to Google Sheets with a Slack alert and an auto-reply drafted by GPT-4o.',
      'RAG chatbot over Google Drive documents with Pinecone and Gemini embeddings.',
      'Post new YouTube videos to X and LinkedIn, summarised with Claude.',
    ];
    const m = compileCatalog(defaultCatalog());
    m.detect(texts[0] ?? '');
    const n = 4000;
    const t0 = performance.now();
    for (let i = 0; i < n; i++) m.detect(texts[i % texts.length] ?? '');
    const perSecond = n / ((performance.now() - t0) / 1000);
    expect(perSecond).toBeGreaterThan(2000);
  });
});
