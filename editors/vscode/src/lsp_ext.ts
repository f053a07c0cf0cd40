// Switchboard's own LSP methods, mirroring docs/lsp-extensions.md (and server/src/lsp/ext.rs).
// Keep the three in step when a method is added.
import { RequestType } from 'vscode-languageclient';

/** The provider chains in force, usage per provider, and completion counters. */
export interface ProviderStatus {
  name: string;
  requests: number;
  successes: number;
  failures: Record<string, number>;
  input_tokens: number;
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
}
export const status = new RequestType<null, Status, void>('switchboard/status');

/** Debug only (server run with SWITCHBOARD_DEBUG_METHODS=1): answers `null` after `ms` milliseconds. */
export interface SleepParams {
  ms: number;
}
export const debugSleep = new RequestType<SleepParams, null, void>('switchboard/debug/sleep');

/** Debug only: panics inside the handler; answered as an internal error. */
export const debugPanic = new RequestType<null, null, void>('switchboard/debug/panic');

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
