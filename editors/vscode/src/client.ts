// The language client: starts the server found by bootstrap.ts for every file, sends the
// `switchboard.*` settings as initializationOptions and with workspace/didChangeConfiguration,
// and lets vscode-languageclient (10.x) register inline completion, completion items and code
// actions from the server's capabilities.
import * as vscode from 'vscode';
import {
  DidChangeConfigurationNotification,
  LanguageClient,
  LanguageClientOptions,
  ServerOptions,
  TransportKind,
} from 'vscode-languageclient/node';
import { findServer } from './bootstrap';

/** Settings that configure the extension itself; the server does not know them. */
const CLIENT_ONLY = [['server', 'path'], ['server', 'extraEnv'], ['trace']];

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

export class SwitchboardClient {
  private client: LanguageClient | undefined;
  private readonly output = vscode.window.createOutputChannel('Switchboard', { log: true });

  constructor(private readonly context: vscode.ExtensionContext) {
    context.subscriptions.push(
      this.output,
      vscode.commands.registerCommand('switchboard.restartServer', async () => {
        await this.stop();
        await this.start();
      }),
      vscode.commands.registerCommand('switchboard.showOutput', () => this.output.show()),
      vscode.workspace.onDidChangeConfiguration(async (event) => {
        if (event.affectsConfiguration('switchboard.server.path') || event.affectsConfiguration('switchboard.server.extraEnv')) {
          await this.stop();
          await this.start();
        } else if (event.affectsConfiguration('switchboard') && this.client?.isRunning()) {
          await this.client.sendNotification(DidChangeConfigurationNotification.type, {
            settings: { switchboard: serverSettings() },
          });
        }
      }),
    );
  }

  async start(): Promise<void> {
    const binary = findServer(this.context);
    if (!binary) {
      void vscode.window.showErrorMessage(
        'Switchboard: the `switchboard` binary was not found. Install it and put it on PATH, or set `switchboard.server.path`.',
      );
      return;
    }
    this.output.info(`server: ${binary.path} (from ${binary.source})`);
    const extraEnv = vscode.workspace.getConfiguration('switchboard').get<Record<string, string> | null>('server.extraEnv');
    const run = {
      command: binary.path,
      transport: TransportKind.stdio,
      options: { env: { ...process.env, ...(extraEnv ?? {}) } },
    };
    const serverOptions: ServerOptions = { run, debug: run };
    const clientOptions: LanguageClientOptions = {
      // Every language: AI completion is not tied to a language.
      documentSelector: [{ scheme: 'file' }, { scheme: 'untitled' }],
      initializationOptions: serverSettings(),
      outputChannel: this.output,
    };
    this.client = new LanguageClient('switchboard', 'Switchboard', serverOptions, clientOptions);
    await this.client.start();
    // The server applies settings pushed after initialize as their own layer, replacing the
    // previous push; sending them now keeps both paths identical.
    await this.client.sendNotification(DidChangeConfigurationNotification.type, {
      settings: { switchboard: serverSettings() },
    });
  }

  async stop(): Promise<void> {
    const client = this.client;
    this.client = undefined;
    if (client?.isRunning()) {
      await client.stop();
    }
  }
}
