// Finds the native `switchboard` binary, in this order (as rust-analyzer does):
// 1. the SWITCHBOARD_SERVER environment variable;
// 2. the `switchboard.server.path` setting;
// 3. a binary bundled with the extension (server/switchboard[.exe]);
// 4. `switchboard` on PATH.
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';

const EXE = process.platform === 'win32' ? 'switchboard.exe' : 'switchboard';

export interface ServerBinary {
  path: string;
  source: 'environment' | 'setting' | 'bundled' | 'path';
}

function isFile(candidate: string): boolean {
  try {
    return fs.statSync(candidate).isFile();
  } catch {
    return false;
  }
}

function expandHome(candidate: string): string {
  const home = process.env.HOME ?? process.env.USERPROFILE;
  return home && candidate.startsWith('~/') ? path.join(home, candidate.slice(2)) : candidate;
}

function onPath(): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(path.delimiter)) {
    if (dir && isFile(path.join(dir, EXE))) {
      return path.join(dir, EXE);
    }
  }
  return undefined;
}

export function findServer(context: vscode.ExtensionContext): ServerBinary | undefined {
  const fromEnv = process.env.SWITCHBOARD_SERVER;
  if (fromEnv) {
    return { path: expandHome(fromEnv), source: 'environment' };
  }
  const fromSetting = vscode.workspace.getConfiguration('switchboard').get<string | null>('server.path');
  if (fromSetting) {
    return { path: expandHome(fromSetting), source: 'setting' };
  }
  const bundled = vscode.Uri.joinPath(context.extensionUri, 'server', EXE).fsPath;
  if (isFile(bundled)) {
    return { path: bundled, source: 'bundled' };
  }
  const found = onPath();
  return found ? { path: found, source: 'path' } : undefined;
}
