// A newcomer's walk through the dashboard of a running `pulse demo`, in headless Chromium (Debian's
// `chromium` package, or PULSE_CHROMIUM): open the page, wait for an incident to arrive on the live
// stream, open its workflow, see its troubleshooting session, ask for a forecast and see its chart,
// generate a workflow from the form and find it in the list. Screenshots go to
// PULSE_SCREENSHOT_DIR (default .data/screenshots; docs/screenshots for the README's).
import { existsSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import puppeteer, { type Page } from 'puppeteer-core';
import { projectRoot } from './harness.ts';

export interface JourneyReport {
  /** first contentful paint of the page, ms */
  readonly firstPaintMs: number;
  readonly incidentWorkflow: string;
  readonly incidentText: string;
  /** the incident's list item was not there at first and came without a reload */
  readonly incidentArrivedLive: boolean;
  readonly sessionText: string;
  readonly forecastDrawn: boolean;
  /** the session is listed in the optimisation-impact table, with its root cause */
  readonly impactText: string;
  readonly generatedWorkflow: string;
  readonly generatedListed: boolean;
  readonly screenshots: string[];
  /** seconds from the journey's start at which each step was seen */
  readonly at: Record<string, number>;
}

export function chromiumPath(): string {
  const candidates = [process.env.PULSE_CHROMIUM, '/usr/bin/chromium', '/usr/bin/chromium-browser'];
  const found = candidates.find((c): c is string => c !== undefined && c !== '' && existsSync(c));
  if (found === undefined)
    throw new Error(
      'no Chromium: install Debian\'s "chromium" package (bash .ci/run does) or set PULSE_CHROMIUM to a Chrome binary',
    );
  return found;
}

// Read in the page from expressions given as text: this project's TypeScript has no DOM library.
async function text(page: Page, selector: string): Promise<string> {
  return String(await page.evaluate(`document.querySelector(${JSON.stringify(selector)}).textContent`));
}

async function attribute(page: Page, selector: string, name: string): Promise<string> {
  const expression = `document.querySelector(${JSON.stringify(selector)}).getAttribute(${JSON.stringify(name)})`;
  return String(await page.evaluate(expression));
}

export async function dashboardJourney(baseUrl: string, deadlineMs: number): Promise<JourneyReport> {
  const started = Date.now();
  const at: Record<string, number> = {};
  const mark = (step: string): void => void (at[step] = (Date.now() - started) / 1000);
  const timeout = (): number => Math.max(1000, deadlineMs - Date.now());
  const dir = path.resolve(projectRoot, process.env.PULSE_SCREENSHOT_DIR ?? '.data/screenshots');
  mkdirSync(dir, { recursive: true });
  const screenshots: string[] = [];
  const shoot = async (page: Page, name: string): Promise<void> => {
    const file = path.join(dir, `${name}.png`);
    await page.screenshot({ path: file, fullPage: false });
    screenshots.push(file);
  };

  const browser = await puppeteer.launch({
    executablePath: chromiumPath(),
    headless: true,
    // Root in CI containers has no user namespace for the sandbox.
    args: ['--no-sandbox', '--disable-dev-shm-usage', '--disable-gpu'],
    defaultViewport: { width: 1400, height: 1000 },
  });
  const page = await browser.newPage();
  try {
    const errors: string[] = [];
    page.on('pageerror', (error) => errors.push(String(error)));
    await page.goto(baseUrl, { waitUntil: 'domcontentloaded', timeout: timeout() });
    const firstPaintMs = Number(
      await page.evaluate(`new Promise((resolve) => new PerformanceObserver((list) => {
        const entry = list.getEntriesByName('first-contentful-paint')[0];
        if (entry) resolve(entry.startTime);
      }).observe({ type: 'paint', buffered: true }))`),
    );
    mark('page');
    await page.waitForFunction(`document.getElementById('live').textContent.includes('connected')`, {
      timeout: timeout(),
    });
    mark('stream connected');
    const incidentsAtStart = Number(
      await page.evaluate(`document.querySelectorAll('#insights li[data-kind="incident"]').length`),
    );

    // 1. An incident, arriving on the live stream (the page is not reloaded).
    const firstIncident = '#insights li[data-kind="incident"]';
    await page.waitForSelector(firstIncident, { timeout: timeout() });
    mark('incident');
    const incidentText = await text(page, firstIncident);
    await shoot(page, 'dashboard-overview');

    // 2. Its workflow: the troubleshooting session the pipeline ran for it.
    await page.click(firstIncident);
    await page.waitForSelector('#workflow:not([hidden])', { timeout: timeout() });
    const incidentWorkflow = await attribute(page, '#workflow', 'data-workflow-id');
    mark('workflow open');
    await page.waitForSelector('#wf-sessions li[data-session-id]', { timeout: timeout() });
    const sessionText = await text(page, '#wf-sessions li[data-session-id]');
    mark('session');

    // The fleet's optimisation-impact table lists the session (it refreshes every 10 s).
    await page.waitForSelector('#impact tr[data-session-id]', { timeout: timeout() });
    const impactText = await text(page, '#impact tr[data-session-id]');
    mark('impact');
    await page.evaluate(`document.getElementById('impact').scrollIntoView({ block: 'center' })`);
    await shoot(page, 'dashboard-impact');

    // 3. A 7-day forecast of that workflow through the predict endpoint, drawn with its interval.
    await page.evaluate(`document.getElementById('workflow').scrollIntoView({ block: 'start' })`);
    await page.click('#wf-predict');
    await page.waitForSelector('#wf-forecast[data-ready="true"] canvas', { timeout: timeout() });
    mark('forecast');
    await page.evaluate(`document.getElementById('workflow').scrollIntoView({ block: 'start' })`);
    await shoot(page, 'dashboard-workflow');

    // 4. A workflow generated from a sentence, then listed.
    await page.type(
      '#generate-form textarea[name="description"]',
      'When a Typeform is submitted, create a HubSpot contact and post a message to Slack',
    );
    await page.click('#generate-form button');
    await page.waitForSelector('#generate-result[data-workflow-id]', { timeout: timeout() });
    const generatedWorkflow = await attribute(page, '#generate-result', 'data-workflow-id');
    mark('generated');
    const generatedListed = await page
      .waitForSelector(`#workflows tr[data-workflow-id="${generatedWorkflow}"]`, { timeout: timeout() })
      .then(() => true)
      .catch(() => false);
    mark('listed');
    await page.evaluate(`document.getElementById('generate-form').scrollIntoView({ block: 'center' })`);
    await shoot(page, 'dashboard-generate');
    if (errors.length > 0) throw new Error(`the page threw: ${errors.join('; ')}`);
    return {
      firstPaintMs,
      incidentWorkflow,
      incidentText,
      incidentArrivedLive: incidentsAtStart === 0,
      sessionText,
      forecastDrawn: true,
      impactText,
      generatedWorkflow,
      generatedListed,
      screenshots,
      at,
    };
  } catch (error) {
    // Say what the page showed when it gave up, and keep a picture of it.
    await shoot(page, 'dashboard-failure').catch(() => undefined);
    const shown = await page
      .evaluate(
        `['live', 'wf-forecast-note', 'generate-result', 'wf-sessions'].map((id) => id + ': ' + (document.getElementById(id)?.textContent ?? '')).join(' | ')`,
      )
      .catch(() => 'page unreadable');
    throw new Error(`${String(error)}; the page showed ${String(shown)}`, { cause: error });
  } finally {
    await browser.close();
  }
}
