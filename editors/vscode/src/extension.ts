// Entry point: activation creates the status bar, the commands and the language client, and
// starts it; deactivation stops it. bootstrap.ts finds the binary, client.ts runs the client,
// status.ts is the status bar item, commands.ts the commands.
import * as vscode from 'vscode';
import { SwitchboardClient } from './client';
import { registerCommands } from './commands';
import { StatusBar } from './status';

let client: SwitchboardClient | undefined;

export async function activate(context: vscode.ExtensionContext): Promise<void> {
  const statusBar = new StatusBar();
  context.subscriptions.push(statusBar);
  client = new SwitchboardClient(context, statusBar);
  registerCommands(context, client);
  await client.start();
}

export async function deactivate(): Promise<void> {
  await client?.stop();
  client = undefined;
}
