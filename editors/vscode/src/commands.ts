// The extension's own commands (contributed in package.json). The server's commands
// (`switchboard.runAction`, `switchboard.cancelAction`) are registered by vscode-languageclient
// from the server's executeCommandProvider and must not be registered here.
import { execFile } from 'node:child_process';
import * as vscode from 'vscode';
import { ExecuteCommandRequest } from 'vscode-languageclient/node';
import { findServer } from './bootstrap';
import { completionEnabled, serverEnv, SwitchboardClient } from './client';
import { RUN_ACTION, RunActionArgs } from './lsp_ext';
import { renderStatus } from './status';

const DOCTOR_TIMEOUT_MS = 60_000;

export function registerCommands(context: vscode.ExtensionContext, switchboard: SwitchboardClient): void {
  const documents = new ReadonlyDocuments();
  context.subscriptions.push(
    vscode.workspace.registerTextDocumentContentProvider(STATUS_URI.scheme, documents),
    vscode.commands.registerCommand('switchboard.restartServer', () => switchboard.restart()),
    vscode.commands.registerCommand('switchboard.showOutput', () => switchboard.output.show()),
    vscode.commands.registerCommand('switchboard.showStatus', async () => {
      const status = await switchboard.status();
      if (!status) {
        void vscode.window.showWarningMessage('Switchboard: the server is not running. Run "Switchboard: Restart Server", or see "Switchboard: Show Output".');
        return;
      }
      await documents.show(STATUS_URI, renderStatus(status));
    }),
    vscode.commands.registerCommand('switchboard.toggleCompletion', () => toggleCompletion()),
    vscode.commands.registerCommand('switchboard.doctor', () => doctor(context, documents)),
    vscode.commands.registerCommand('switchboard.customInstruction', () => customInstruction(switchboard)),
  );
}

/**
 * Read-only documents for what the extension shows (the status, the doctor's report). Their
 * scheme is not in the client's document selector, so the server never sees them.
 */
const STATUS_URI = vscode.Uri.from({ scheme: 'switchboard', path: 'Switchboard Status' });
const DOCTOR_URI = vscode.Uri.from({ scheme: 'switchboard', path: 'Switchboard Doctor' });

class ReadonlyDocuments implements vscode.TextDocumentContentProvider {
  private readonly texts = new Map<string, string>();
  private readonly changed = new vscode.EventEmitter<vscode.Uri>();
  readonly onDidChange = this.changed.event;

  /** Sets the text of `uri` and shows it. */
  async show(uri: vscode.Uri, text: string): Promise<void> {
    this.texts.set(uri.toString(), text);
    this.changed.fire(uri);
    const document = await vscode.workspace.openTextDocument(uri);
    await vscode.window.showTextDocument(document, { preview: true });
  }

  provideTextDocumentContent(uri: vscode.Uri): string {
    return this.texts.get(uri.toString()) ?? '';
  }
}

/** Turns `switchboard.completion.enabled` over where it is set (the workspace, else the user). */
async function toggleCompletion(): Promise<void> {
  const config = vscode.workspace.getConfiguration('switchboard');
  const inspected = config.inspect<boolean | null>('completion.enabled');
  const inWorkspace = inspected?.workspaceValue !== undefined && inspected.workspaceValue !== null;
  const enable = !completionEnabled();
  await config.update(
    'completion.enabled',
    enable,
    inWorkspace ? vscode.ConfigurationTarget.Workspace : vscode.ConfigurationTarget.Global,
  );
  void vscode.window.setStatusBarMessage(`Switchboard: AI completions ${enable ? 'on' : 'off'}`, 3000);
}

/** Runs `switchboard doctor` with the server's environment and shows what it prints. */
async function doctor(context: vscode.ExtensionContext, documents: ReadonlyDocuments): Promise<void> {
  const found = findServer(context);
  if ('problem' in found) {
    void vscode.window.showErrorMessage(`Switchboard: ${found.problem}`);
    return;
  }
  const header = [
    `$ ${found.binary.path} doctor`,
    '(it reads your config file; settings made in VS Code show in "Switchboard: Show Status")',
    '',
  ].join('\n');
  const report = await vscode.window.withProgress(
    { location: vscode.ProgressLocation.Window, title: 'Switchboard: running doctor' },
    () =>
      new Promise<string>((resolve) => {
        execFile(
          found.binary.path,
          ['doctor'],
          { env: serverEnv(), timeout: DOCTOR_TIMEOUT_MS, maxBuffer: 4 * 1024 * 1024 },
          (error, stdout, stderr) => {
            const failed = error && !stdout ? `doctor failed: ${error.message}\n` : '';
            resolve(`${stdout}${stderr.trim() ? `\n${stderr}` : ''}${failed}`);
          },
        );
      }),
  );
  await documents.show(DOCTOR_URI, `${header}\n${report}`);
}

/** Asks for an instruction and runs it on the selected lines (or the cursor's line). */
async function customInstruction(switchboard: SwitchboardClient): Promise<void> {
  const editor = vscode.window.activeTextEditor;
  if (!editor) {
    void vscode.window.showInformationMessage('Switchboard: open a file and select the code the instruction is about.');
    return;
  }
  const client = switchboard.running;
  if (!client) {
    void vscode.window.showWarningMessage('Switchboard: the server is not running. Run "Switchboard: Restart Server".');
    return;
  }
  const instruction = (
    await vscode.window.showInputBox({
      title: 'Switchboard: AI instruction',
      prompt: 'What should the AI do with the selected lines (or the current line)?',
      placeHolder: 'e.g. make this function async',
    })
  )?.trim();
  if (!instruction) {
    return;
  }
  const document = editor.document;
  const selection = editor.selection;
  // Whole lines; a selection that ends at the start of a line does not include that line.
  const start = selection.start.line;
  let end = selection.end.line;
  if (!selection.isEmpty && selection.end.character === 0 && end > start) {
    end -= 1;
  }
  const short = instruction.length > 60 ? `${instruction.slice(0, 59)}…` : instruction;
  const args: RunActionArgs = {
    uri: client.code2ProtocolConverter.asUri(document.uri),
    action: 'comment',
    version: document.version,
    lines: [start, end + 1],
    title: `AI: ${short}`,
    instruction,
    diagnostics: [],
  };
  try {
    await client.sendRequest(ExecuteCommandRequest.type, { command: RUN_ACTION, arguments: [args] });
  } catch (error) {
    void vscode.window.showErrorMessage(error instanceof Error ? error.message : String(error));
  }
}
