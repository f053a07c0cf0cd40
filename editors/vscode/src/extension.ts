// Entry point: activation starts the language client, deactivation stops it. Everything else
// lives in bootstrap.ts (finding the binary) and client.ts (the client and its settings).
import * as vscode from 'vscode';
import { SwitchboardClient } from './client';

let client: SwitchboardClient | undefined;

export async function activate(context: vscode.ExtensionContext): Promise<void> {
  client = new SwitchboardClient(context);
  await client.start();
}

export async function deactivate(): Promise<void> {
  await client?.stop();
  client = undefined;
}
