// Switchboard's own LSP methods, mirroring docs/lsp-extensions.md (and server/src/lsp/ext.rs).
// Keep the three in step when a method is added.
import { RequestType, RequestType0 } from 'vscode-languageclient';

/** The provider chains in force, usage per provider, and completion counters. */
export interface ProviderStatus {
  name: string;
  requests: number;
  successes: number;
  failures: Record<string, number>;
  /** Prompt tokens the vendor reported, cached ones included. */
  input_tokens: number;
  /** Of `input_tokens`, read from the vendor's prompt cache. */
  cached_input_tokens: number;
  /** Of `input_tokens`, written to the prompt cache (Anthropic's `cache_control`). */
  cache_write_tokens: number;
  output_tokens: number;
  mean_first_token_ms: number | null;
  circuit: string;
}
export interface Status {
  version: string;
  position_encoding: string;
  open_documents: number;
  completion_chain: string[];
  actions_chain: string[];
  detected: boolean;
  providers: ProviderStatus[];
  completion: { provider_calls: number; cache_hits: number; superseded: number; adopted: number };
  actions?: { listings: number; provider_calls: number; applied: number; failed: number; cancelled: number; running: number };
  /** The last 20 messages shown to the user, oldest first. */
  messages?: string[];
}
/** Takes no parameters: sent without `params` (a `null` would arrive as `[null]`, which the server refuses). */
export const status = new RequestType0<Status, void>('switchboard/status');

/**
 * The commands the server declares in `executeCommandProvider`. vscode-languageclient registers
 * them in VS Code itself: the extension must never register (nor contribute) these ids.
 */
export const RUN_ACTION = 'switchboard.runAction';
export const CANCEL_ACTION = 'switchboard.cancelAction';

/** The argument of `switchboard.runAction` (docs/lsp-extensions.md). */
export interface RunActionArgs {
  uri: string;
  action: string;
  version: number;
  /** `[start, end)`, 0-based. */
  lines: [number, number];
  title: string;
  instruction?: string;
  diagnostics: unknown[];
}

/** Debug only (server run with SWITCHBOARD_DEBUG_METHODS=1): answers `null` after `ms` milliseconds. */
export interface SleepParams {
  ms: number;
}
export const debugSleep = new RequestType<SleepParams, null, void>('switchboard/debug/sleep');

/** Debug only: panics inside the handler; answered as an internal error. */
export const debugPanic = new RequestType0<null, void>('switchboard/debug/panic');

/** Debug only: the server's view of an open document. */
export interface DocumentParams {
  uri: string;
}
export interface DocumentView {
  text: string;
  version: number;
  language: string | null;
  /** The syntax tree as an S-expression, when the language has a grammar. */
  tree: string | null;
}
export const debugDocument = new RequestType<DocumentParams, DocumentView | null, void>('switchboard/debug/document');
