// The status bar item: whether the server runs, which provider answered last, the last failure,
// and whether completions are off. Clicking it runs "Switchboard: Show Status".
import * as vscode from 'vscode';
import { ProviderStatus, Status } from './lsp_ext';

type State =
  | { kind: 'starting' }
  | { kind: 'ready' }
  | { kind: 'answered'; provider: string }
  | { kind: 'failed'; message: string }
  | { kind: 'stopped'; reason: string };

export class StatusBar implements vscode.Disposable {
  private readonly item = vscode.window.createStatusBarItem('switchboard.status', vscode.StatusBarAlignment.Right, 100);
  private state: State = { kind: 'starting' };
  private completionEnabled = true;
  /** Successes per provider at the last look, to tell which one answered since. */
  private successes = new Map<string, number>();

  constructor() {
    this.item.name = 'Switchboard';
    this.item.command = 'switchboard.showStatus';
    this.render();
    this.item.show();
  }

  starting(): void {
    this.set({ kind: 'starting' });
  }

  ready(): void {
    this.set({ kind: 'ready' });
  }

  stopped(reason: string): void {
    this.set({ kind: 'stopped', reason });
  }

  /** A provider message (an error or a warning) from the server. */
  failed(message: string): void {
    this.set({ kind: 'failed', message });
  }

  setCompletionEnabled(enabled: boolean): void {
    this.completionEnabled = enabled;
    this.render();
  }

  /**
   * A fresh `switchboard/status`: the provider whose successes grew since the last look answered
   * (a cache hit grows none, and keeps the previous provider).
   */
  observe(status: Status): void {
    // The item names who made the last suggestion: an action's provider answering (an action
    // that finished meanwhile) is no suggestion, and must not hide a completion failure.
    const suggesting = new Set(status.completion_chain);
    let answered: ProviderStatus | undefined;
    for (const provider of status.providers) {
      const before = this.successes.get(provider.name);
      if (before !== undefined && provider.successes > before && suggesting.has(provider.name)) {
        answered = provider;
      }
      this.successes.set(provider.name, provider.successes);
    }
    if (answered) {
      this.set({ kind: 'answered', provider: answered.name });
    }
  }

  /** Sets the baseline of successes without naming anyone (at start). */
  baseline(status: Status): void {
    this.successes = new Map(status.providers.map((provider) => [provider.name, provider.successes]));
  }

  private set(state: State): void {
    this.state = state;
    this.render();
  }

  private render(): void {
    const state = this.state;
    const off = this.completionEnabled ? '' : ' (completions off)';
    this.item.backgroundColor = undefined;
    switch (state.kind) {
      case 'starting':
        this.item.text = '$(loading~spin) Switchboard';
        this.item.tooltip = 'Switchboard: starting the server…';
        break;
      case 'ready':
        this.item.text = `$(${this.completionEnabled ? 'sparkle' : 'circle-slash'}) Switchboard`;
        this.item.tooltip = `Switchboard: ready${off}. Click for the provider status.`;
        break;
      case 'answered':
        this.item.text = `$(${this.completionEnabled ? 'sparkle' : 'circle-slash'}) ${state.provider}`;
        this.item.tooltip = `Switchboard: the last suggestion came from ${state.provider}${off}. Click for the provider status.`;
        break;
      case 'failed':
        this.item.text = '$(warning) Switchboard';
        this.item.tooltip = `Switchboard: ${state.message}${off}\nClick for the provider status.`;
        this.item.backgroundColor = new vscode.ThemeColor('statusBarItem.warningBackground');
        break;
      case 'stopped':
        this.item.text = '$(error) Switchboard';
        this.item.tooltip = `Switchboard: ${state.reason}`;
        this.item.backgroundColor = new vscode.ThemeColor('statusBarItem.errorBackground');
        break;
    }
    this.item.accessibilityInformation = { label: typeof this.item.tooltip === 'string' ? this.item.tooltip : 'Switchboard' };
  }

  dispose(): void {
    this.item.dispose();
  }
}

/** `switchboard/status` as text for the "Switchboard Status" output. */
export function renderStatus(status: Status): string {
  const lines = [
    `Switchboard ${status.version} · position encoding ${status.position_encoding} · ${status.open_documents} open documents`,
    `Completion chain: ${status.completion_chain.join(' → ') || '(none)'}${status.detected ? ' (detected on this machine)' : ''}`,
    `Actions chain:    ${status.actions_chain.join(' → ') || '(none)'}`,
    '',
    'Providers:',
  ];
  for (const provider of status.providers) {
    const failures = Object.entries(provider.failures)
      .map(([kind, n]) => `${kind} ${n}`)
      .join(', ');
    const firstToken = provider.mean_first_token_ms === null ? '-' : `${Math.round(provider.mean_first_token_ms)} ms`;
    lines.push(
      `  ${provider.name}: ${provider.requests} requests, ${provider.successes} answered, failures: ${failures || 'none'}; ` +
        `tokens ${provider.input_tokens} in (${provider.cached_input_tokens} cached) / ${provider.output_tokens} out; ` +
        `first token ${firstToken}; circuit ${provider.circuit}`,
    );
  }
  if (status.providers.length === 0) {
    lines.push('  (none)');
  }
  const c = status.completion;
  lines.push('', `Completion: ${c.provider_calls} model calls, ${c.cache_hits} cache hits, ${c.superseded} superseded, ${c.adopted} adopted`);
  if (status.actions) {
    const a = status.actions;
    lines.push(`Actions: ${a.provider_calls} run, ${a.applied} applied, ${a.failed} failed, ${a.cancelled} cancelled, ${a.running} running`);
  }
  if (status.messages?.length) {
    lines.push('', 'Recent messages (oldest first):', ...status.messages.map((message) => `  ${message}`));
  }
  lines.push('', 'As JSON:', JSON.stringify(status, null, 2));
  return lines.join('\n');
}
