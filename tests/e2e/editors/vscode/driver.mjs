// Drives code-server (VS Code 1.99 in the browser) with playwright-core and Debian's chromium, as
// a user would: tests/e2e/vscode.rs starts code-server with the packaged extension installed and
// runs this script. Every step is recorded in the result file (SB_OUT); on a failure the script
// takes a screenshot (SB_SHOTS/failure.png), writes what it saw and exits 1.
//
// Environment: SB_INSTALL (target/vscode-test), SB_URL (code-server), SB_WORKSPACE, SB_FILE (the
// Python file to edit), SB_SETTINGS (the user settings.json), SB_BROKEN (settings merged into it
// for the failure step), SB_OUT, SB_SHOTS, SB_CHROMIUM.
import { createRequire } from 'node:module';
import * as fs from 'node:fs';
import * as path from 'node:path';

const env = (name) => {
  const value = process.env[name];
  if (!value) throw new Error(`driver: ${name} is not set`);
  return value;
};
const require = createRequire(path.join(env('SB_INSTALL'), 'package.json'));
const { chromium } = require('playwright-core');

const result = { ok: false, steps: [], error: null, statusbar: [], notifications: [] };
const started = Date.now();
let page;
let current = 'start';

function write() {
  fs.writeFileSync(env('SB_OUT'), JSON.stringify(result, null, 2));
}

async function step(name, body) {
  current = name;
  const at = Date.now();
  const detail = await body();
  result.steps.push({ name, ms: Date.now() - at, detail: detail ?? null });
  write();
  return detail;
}

/** The text and labels of every status bar item. */
async function statusbar() {
  return page.evaluate(() =>
    [...document.querySelectorAll('.statusbar-item')].map((item) => {
      const labelled = item.querySelector('[aria-label]');
      return `${item.id} | ${(item.textContent || '').trim()} | ${item.getAttribute('aria-label') || labelled?.getAttribute('aria-label') || ''}`;
    }),
  );
}

/** The text of every visible notification toast. */
async function toasts() {
  return page.evaluate(() =>
    [...document.querySelectorAll('.notifications-toasts .notification-toast')].map((toast) =>
      (toast.querySelector('.notification-list-item-message')?.textContent || '').trim(),
    ),
  );
}

/** The editor's visible lines, top to bottom, with plain spaces. */
async function editorLines() {
  return page.evaluate(() => {
    const lines = [...document.querySelectorAll('.editor-instance .view-lines .view-line')];
    lines.sort((a, b) => parseFloat(a.style.top) - parseFloat(b.style.top));
    return lines.map((line) => (line.textContent || '').replace(/\u00a0/g, ' '));
  });
}

/** The messages in the notification center (every notification of the session, hidden or not). */
async function notificationCenter() {
  await command('Notifications: Show Notifications');
  await page.locator('.notifications-center').waitFor({ state: 'visible' });
  const messages = await page.evaluate(() =>
    [...document.querySelectorAll('.notifications-center .notification-list-item-message')].map((m) => (m.textContent || '').trim()),
  );
  await page.keyboard.press('Escape');
  return messages;
}

async function waitFor(what, timeoutMs, probe) {
  const deadline = Date.now() + timeoutMs;
  let last;
  while (Date.now() < deadline) {
    last = await probe();
    if (last) return last;
    await page.waitForTimeout(100);
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
}

async function waitForFile(needle, timeoutMs) {
  const file = env('SB_FILE');
  return waitFor(`${file} to contain ${JSON.stringify(needle)}`, timeoutMs, () => {
    const text = fs.readFileSync(file, 'utf8');
    return text.includes(needle) ? text : null;
  });
}

async function statusbarHas(what, timeoutMs) {
  return waitFor(`a status bar item with ${JSON.stringify(what)}`, timeoutMs, async () =>
    (await statusbar()).find((item) => item.includes(what)),
  );
}

async function command(title) {
  await page.keyboard.press('F1');
  const input = page.locator('.quick-input-widget input.input');
  await input.waitFor({ state: 'visible', timeout: 5000 });
  await input.fill(`>${title}`);
  const row = page.locator('.quick-input-widget .monaco-list-row', { hasText: title }).first();
  await row.waitFor({ state: 'visible', timeout: 5000 });
  await page.keyboard.press('Enter');
}

async function save() {
  await page.keyboard.press('Control+S');
}

async function main() {
  const browser = await chromium.launch({
    executablePath: env('SB_CHROMIUM'),
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage'],
  });
  try {
    const context = await browser.newContext({ viewport: { width: 1400, height: 900 } });
    page = await context.newPage();
    page.setDefaultTimeout(15000);

    await step('workbench', async () => {
      await page.goto(`${env('SB_URL')}/?folder=${encodeURIComponent(env('SB_WORKSPACE'))}`);
      await page.locator('.monaco-workbench').waitFor({ state: 'visible', timeout: 30000 });
    });

    // The extension activates (onStartupFinished), finds the binary from switchboard.path and
    // starts the server; the status bar says "ready" once `initialize` is answered.
    await step('activated', async () => statusbarHas('Switchboard: ready', 30000));

    await step('open_file', async () => {
      await page.keyboard.press('Control+P');
      const input = page.locator('.quick-input-widget input.input');
      await input.waitFor({ state: 'visible' });
      await input.fill(path.basename(env('SB_FILE')));
      await page.locator('.quick-input-widget .monaco-list-row', { hasText: path.basename(env('SB_FILE')) }).first().waitFor();
      await page.keyboard.press('Enter');
      await waitFor('the file in the editor', 10000, async () => (await editorLines()).some((line) => line.includes('def square')));
      await page.locator('.editor-instance .view-lines').click();
    });

    const ghost = await step('ghost_text', async () => {
      await page.keyboard.press('Control+End');
      await page.keyboard.type('ret', { delay: 60 });
      const text = await waitFor('the ghost text decoration', 15000, async () =>
        page.evaluate(() => {
          const parts = [...document.querySelectorAll('.ghost-text-decoration, .ghost-text-decoration-preview, .ghost-text')];
          const text = parts.map((part) => part.textContent || '').join('').replace(/\u00a0/g, ' ');
          return text.trim() ? text : null;
        }),
      );
      await page.screenshot({ path: path.join(env('SB_SHOTS'), 'ghost-text.png') });
      return { ghost: text };
    });

    await step('accept_with_tab', async () => {
      await page.keyboard.press('Tab');
      await waitFor('the accepted suggestion in the editor', 5000, async () =>
        (await editorLines()).some((line) => line.includes('return x * x')),
      );
      await save();
      return { file: await waitForFile('    return x * x', 5000), ghost: ghost.ghost };
    });

    await step('statusbar_names_provider', async () => statusbarHas('the last suggestion came from mock', 5000));

    // The light bulb / Ctrl+. menu: the AI action runs in the background, with progress in the
    // status bar (server-created $/progress), and its edit arrives as workspace/applyEdit.
    await step('code_action_menu', async () => {
      await page.keyboard.press('Control+Home');
      await page.keyboard.press('ArrowDown');
      await page.keyboard.press('Control+.');
      const entry = page.locator('.action-widget .monaco-list-row', { hasText: 'AI: Document' }).first();
      await entry.waitFor({ state: 'visible', timeout: 10000 });
      const entries = await page.locator('.action-widget .monaco-list-row').allTextContents();
      // As a user does: arrows to the entry, Enter to run it.
      for (let i = 0; i < entries.length + 1; i += 1) {
        const focused = await page.locator('.action-widget .monaco-list-row.focused').first().getAttribute('aria-label');
        if (focused && focused.includes('AI: Document')) break;
        await page.keyboard.press('ArrowDown');
      }
      await page.keyboard.press('Enter');
      return { entries };
    });

    await step('action_progress', async () => statusbarHas('AI: Document', 10000));

    await step('action_applied', async () => {
      await waitFor('the docstring in the editor', 15000, async () =>
        (await editorLines()).some((line) => line.includes('Return the sum of a and b.')),
      );
      await save();
      return { file: await waitForFile('Return the sum of a and b.', 5000) };
    });

    await step('custom_instruction', async () => {
      await page.keyboard.press('Control+End');
      await command('Switchboard: AI: Custom Instruction');
      const input = page.locator('.quick-input-widget input.input');
      await input.waitFor({ state: 'visible' });
      await waitFor('the instruction box', 5000, async () =>
        ((await page.locator('.quick-input-widget').textContent()) || '').includes('AI instruction'),
      );
      await input.fill('use the power operator');
      await page.keyboard.press('Enter');
      await waitFor('the instruction applied in the editor', 15000, async () =>
        (await editorLines()).some((line) => line.includes('return x ** 2')),
      );
      await save();
      return { file: await waitForFile('    return x ** 2', 5000) };
    });

    // A provider that fails: the chain is switched live (settings.json edited, as the Settings
    // editor does; workspace/didChangeConfiguration), then several suggestions are asked for.
    // The server tells the failure once, and VS Code shows it once.
    await step('provider_failure', async () => {
      // Edited in VS Code's settings.json editor, as a user does (code-server does not notice a
      // write to the file from outside).
      const settingsFile = env('SB_SETTINGS');
      const settings = { ...JSON.parse(fs.readFileSync(settingsFile, 'utf8')), ...JSON.parse(env('SB_BROKEN')) };
      await command('Preferences: Open User Settings (JSON)');
      await page.locator('.tab.active', { hasText: 'settings.json' }).waitFor({ state: 'visible' });
      await waitFor('settings.json in the editor', 5000, async () =>
        (await editorLines()).some((line) => line.includes('telemetry.telemetryLevel')),
      );
      await page.keyboard.press('Control+A');
      // One line: a typed newline would be auto-indented.
      await page.keyboard.insertText(JSON.stringify(settings));
      // What auto-closing added after the cursor.
      await page.keyboard.press('Control+Shift+End');
      await page.keyboard.press('Delete');
      await save();
      await waitFor('settings.json saved', 5000, async () =>
        JSON.parse(fs.readFileSync(settingsFile, 'utf8'))['switchboard.completion.providers']?.[0] === 'broken',
      );
      // Saved in the editor too (not dirty), else closing it would ask.
      await waitFor('settings.json saved in the editor', 5000, async () => {
        const dirty = await page.locator('.tab.active.dirty').count();
        if (dirty) await save();
        return dirty === 0;
      });
      await page.keyboard.press('Control+W');
      await page.locator('.tab.active', { hasText: path.basename(env('SB_FILE')) }).waitFor({ state: 'visible' });
      await page.locator('.editor-instance .view-lines').click();
      await page.keyboard.press('Control+End');
      for (const word of ['\nprint', '(x', ')\nval', 'ue = x']) {
        await page.keyboard.type(word, { delay: 40 });
        await page.waitForTimeout(700);
      }
      await waitFor('a notification about the failing provider', 10000, async () =>
        (await toasts()).some((toast) => toast.includes('broken')),
      );
      // More suggestions asked for while the failure lasts must not repeat it.
      for (const word of ['\nmore', ' = 1']) {
        await page.keyboard.type(word, { delay: 40 });
        await page.waitForTimeout(700);
      }
      const about = (await toasts()).filter((toast) => toast.includes('broken'));
      await page.screenshot({ path: path.join(env('SB_SHOTS'), 'failure-notification.png') });
      const item = await statusbarHas('broken', 3000);
      const center = (await notificationCenter()).filter((message) => message.includes('broken'));
      return { notifications: about, center, statusbar: item };
    });

    // Clicking the status bar item opens `switchboard/status`, rendered, as a read-only document.
    await step('status_output', async () => {
      await page.locator('[id="switchboard-lsp.switchboard.switchboard.status"] a, [id="switchboard-lsp.switchboard.switchboard.status"]').first().click();
      return waitFor('the status document', 10000, async () => {
        const text = (await editorLines()).join('\n');
        return text.includes('Completion chain: broken') && text.includes('Recent messages') ? text : null;
      });
    });

    await step('doctor', async () => {
      await command('Switchboard: Run Doctor');
      return waitFor('the doctor report', 20000, async () => {
        const text = (await editorLines()).join('\n');
        return text.includes('doctor') && text.includes('No providers configured') ? text : null;
      });
    });

    result.ok = true;
  } catch (error) {
    result.error = `step ${current}: ${error instanceof Error ? error.stack || error.message : String(error)}`;
    if (page) {
      const shot = path.join(env('SB_SHOTS'), 'failure.png');
      await page.screenshot({ path: shot }).catch(() => {});
      result.screenshot = shot;
    }
  } finally {
    if (page) {
      result.statusbar = await statusbar().catch(() => []);
      result.notifications = await toasts().catch(() => []);
      result.editor = await editorLines().catch(() => []);
    }
    result.ms = Date.now() - started;
    write();
    await browser.close();
  }
}

main().then(
  () => process.exit(result.ok ? 0 : 1),
  (error) => {
    result.error = String(error?.stack || error);
    write();
    process.exit(1);
  },
);
