// The language client: starts the server found by bootstrap.ts for every file, sends the
// `switchboard.*` settings as initializationOptions and with workspace/didChangeConfiguration,
// and lets vscode-languageclient (10.x) register inline completion, completion items, code
// actions and the server's commands from its capabilities. It also feeds the status bar: the
// server's messages (window/showMessage, shown here once each as a notification) and, after each
// suggestion, `switchboard/status` to tell which provider answered.
import * as vscode from 'vscode';
import {
  DidChangeConfigurationNotification,
  LanguageClient,
  LanguageClientOptions,
  MessageType,
  ServerOptions,
  ShowMessageNotification,
  State,
  TransportKind,
} from 'vscode-languageclient/node';
import { findServer, ServerBinary } from './bootstrap';
import * as ext from './lsp_ext';
import { StatusBar } from './status';

/** Settings that configure the extension itself; the server does not know them. */
const CLIENT_ONLY = [['path'], ['server', 'path'], ['server', 'extraEnv'], ['trace']];

/**
 * The `switchboard.*` settings in the server's schema (docs/configuration.md). Unset settings are
 * `null`, which the server reads as "not set here", so its own defaults and the user's
 * config.toml apply: the extension duplicates no default.
 */
export function serverSettings(): Record<string, unknown> {
  const settings = JSON.parse(JSON.stringify(vscode.workspace.getConfiguration('switchboard'))) as Record<string, any>;
  for (const keyPath of CLIENT_ONLY) {
    let table = settings;
    for (const key of keyPath.slice(0, -1)) {
      table = table?.[key];
    }
    if (table) {
      delete table[keyPath[keyPath.length - 1]];
    }
  }
  return settings;
}

/** The server's environment: VS Code's, plus `switchboard.server.extraEnv`. */
export function serverEnv(): NodeJS.ProcessEnv {
  const extraEnv = vscode.workspace.getConfiguration('switchboard').get<Record<string, string> | null>('server.extraEnv');
  return { ...process.env, ...(extraEnv ?? {}) };
}

/** How long after a suggestion the status is asked for (one request per burst of typing). */
const STATUS_DELAY_MS = 300;

export class SwitchboardClient {
  private client: LanguageClient | undefined;
  private binary: ServerBinary | undefined;
  private statusTimer: NodeJS.Timeout | undefined;
  readonly output = vscode.window.createOutputChannel('Switchboard', { log: true });

  constructor(
    private readonly context: vscode.ExtensionContext,
    private readonly statusBar: StatusBar,
  ) {
    context.subscriptions.push(
      this.output,
      vscode.workspace.onDidChangeConfiguration(async (event) => {
        if (
          event.affectsConfiguration('switchboard.path') ||
          event.affectsConfiguration('switchboard.server.path') ||
          event.affectsConfiguration('switchboard.server.extraEnv')
        ) {
          await this.restart();
        } else if (event.affectsConfiguration('switchboard')) {
          this.statusBar.setCompletionEnabled(completionEnabled());
          if (this.client?.isRunning()) {
            this.output.info('settings changed: sending them to the server');
            await this.client.sendNotification(DidChangeConfigurationNotification.type, {
              settings: { switchboard: serverSettings() },
            });
          }
        }
      }),
    );
    this.statusBar.setCompletionEnabled(completionEnabled());
  }

  /** The running client, if any. */
  get running(): LanguageClient | undefined {
    return this.client?.isRunning() ? this.client : undefined;
  }

  /** The binary in use (or that would be used), for the doctor command. */
  get serverBinary(): ServerBinary | undefined {
    return this.binary;
  }

  async start(): Promise<void> {
    this.statusBar.starting();
    const found = findServer(this.context);
    if ('problem' in found) {
      this.binary = undefined;
      this.statusBar.stopped(found.problem);
      this.output.error(found.problem);
      void vscode.window.showErrorMessage(`Switchboard: ${found.problem}`, 'Open Settings').then((choice) => {
        if (choice) {
          void vscode.commands.executeCommand('workbench.action.openSettings', 'switchboard.path');
        }
      });
      return;
    }
    const binary = found.binary;
    this.binary = binary;
    this.output.info(`server: ${binary.path} (from ${binary.source})`);
    const run = { command: binary.path, transport: TransportKind.stdio, options: { env: serverEnv() } };
    const serverOptions: ServerOptions = { run, debug: run };
    const clientOptions: LanguageClientOptions = {
      // Every language: AI completion is not tied to a language.
      documentSelector: [{ scheme: 'file' }, { scheme: 'untitled' }],
      initializationOptions: serverSettings(),
      outputChannel: this.output,
      middleware: {
        provideInlineCompletionItems: async (document, position, context, token, next) => {
          const result = await next(document, position, context, token);
          const items = Array.isArray(result) ? result : result?.items;
          if (items && items.length > 0) {
            this.refreshStatusSoon();
          }
          return result;
        },
      },
    };
    const client = new LanguageClient('switchboard', 'Switchboard', serverOptions, clientOptions);
    // Replaces the client's default handler (applied after `initialize`), so each message is
    // shown exactly once and the status bar learns of failures.
    client.onNotification(ShowMessageNotification.type, (message) => this.showMessage(message.type, message.message));
    client.onDidChangeState((change) => {
      if (change.newState === State.Stopped && this.client === client) {
        this.statusBar.stopped('the server stopped; run "Switchboard: Restart Server" (its log: "Switchboard: Show Output").');
      } else if (change.newState === State.Running) {
        this.statusBar.ready();
      }
    });
    this.client = client;
    try {
      await client.start();
    } catch (error) {
      const reason = `the server ${binary.path} did not start: ${error instanceof Error ? error.message : String(error)}`;
      this.statusBar.stopped(reason);
      void vscode.window.showErrorMessage(`Switchboard: ${reason}`);
      return;
    }
    // The server applies settings pushed after initialize as their own layer, replacing the
    // previous push; sending them now keeps both paths identical.
    await client.sendNotification(DidChangeConfigurationNotification.type, {
      settings: { switchboard: serverSettings() },
    });
    this.statusBar.ready();
    void this.status().then((status) => status && this.statusBar.baseline(status));
  }

  async stop(): Promise<void> {
    const client = this.client;
    this.client = undefined;
    clearTimeout(this.statusTimer);
    if (client?.isRunning()) {
      await client.stop();
    }
  }

  async restart(): Promise<void> {
    await this.stop();
    await this.start();
  }

  /** `switchboard/status`, or undefined when the server is not running. */
  async status(): Promise<ext.Status | undefined> {
    const client = this.running;
    if (!client) {
      return undefined;
    }
    try {
      return await client.sendRequest(ext.status);
    } catch (error) {
      this.output.warn(`switchboard/status failed: ${error instanceof Error ? error.message : String(error)}`);
      return undefined;
    }
  }

  private refreshStatusSoon(): void {
    clearTimeout(this.statusTimer);
    this.statusTimer = setTimeout(() => {
      void this.status().then((status) => status && this.statusBar.observe(status));
    }, STATUS_DELAY_MS);
  }

  private showMessage(type: MessageType, message: string): void {
    switch (type) {
      case MessageType.Error:
        this.statusBar.failed(message.replace(/^Switchboard: /, ''));
        void vscode.window.showErrorMessage(message);
        break;
      case MessageType.Warning:
        this.statusBar.failed(message.replace(/^Switchboard: /, ''));
        void vscode.window.showWarningMessage(message);
        break;
      default:
        void vscode.window.showInformationMessage(message);
    }
  }
}

/** Whether `switchboard.completion.enabled` leaves completions on (unset: on). */
export function completionEnabled(): boolean {
  return vscode.workspace.getConfiguration('switchboard').get<boolean | null>('completion.enabled') !== false;
}
