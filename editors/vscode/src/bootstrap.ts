// Finds the native `switchboard` binary, in this order:
// 1. the `switchboard.path` setting (or its older name `switchboard.server.path`);
// 2. the SWITCHBOARD_SERVER environment variable (for developers);
// 3. `switchboard` on PATH, so a binary you installed yourself (`cargo install`) wins;
// 4. the binary bundled in a platform-specific .vsix (server/switchboard[.exe]).
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';

const EXE = process.platform === 'win32' ? 'switchboard.exe' : 'switchboard';

export interface ServerBinary {
  path: string;
  source: 'setting' | 'environment' | 'path' | 'bundled';
}

/** The binary, or what is wrong and how to fix it, in one sentence for the user. */
export type Found = { binary: ServerBinary } | { problem: string };

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

/** The `switchboard.path` setting, else its older name `switchboard.server.path`. */
export function pathSetting(): string | undefined {
  const config = vscode.workspace.getConfiguration('switchboard');
  return config.get<string | null>('path') || config.get<string | null>('server.path') || undefined;
}

export function findServer(context: vscode.ExtensionContext): Found {
  const fromSetting = pathSetting();
  if (fromSetting) {
    const candidate = expandHome(fromSetting);
    return isFile(candidate)
      ? { binary: { path: candidate, source: 'setting' } }
      : { problem: `the \`switchboard.path\` setting is "${fromSetting}", which is not a file. Fix the setting or clear it to use \`switchboard\` from PATH.` };
  }
  const fromEnv = process.env.SWITCHBOARD_SERVER;
  if (fromEnv) {
    const candidate = expandHome(fromEnv);
    return isFile(candidate)
      ? { binary: { path: candidate, source: 'environment' } }
      : { problem: `$SWITCHBOARD_SERVER is "${fromEnv}", which is not a file.` };
  }
  const found = onPath();
  if (found) {
    return { binary: { path: found, source: 'path' } };
  }
  const bundled = vscode.Uri.joinPath(context.extensionUri, 'server', EXE).fsPath;
  if (isFile(bundled)) {
    makeExecutable(bundled);
    return { binary: { path: bundled, source: 'bundled' } };
  }
  return {
    problem:
      'the `switchboard` binary was not found (not in the `switchboard.path` setting, not on PATH, and this .vsix bundles none). ' +
      'Install it with `cargo install --path server` from the Switchboard repository (or download a release and put it on PATH), ' +
      'or set `switchboard.path` to the binary, then run "Switchboard: Restart Server".',
  };
}

/** A zip may lose the executable bit; give it back (the extension folder is the user's). */
function makeExecutable(file: string): void {
  if (process.platform === 'win32') {
    return;
  }
  try {
    const mode = fs.statSync(file).mode;
    if ((mode & 0o111) === 0) {
      fs.chmodSync(file, mode | 0o755);
    }
  } catch {
    // Starting it will report the problem.
  }
}
