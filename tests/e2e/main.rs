//! End-to-end tests: start the built `switchboard` binary and speak LSP to it over stdio, as an
//! editor does. `support` holds the client; each other module covers one area.

mod provider;
mod support;

mod actions;
mod cli;
mod completion;
mod config;
mod documents;
mod helix;
mod lifecycle;
mod neovim;
mod storm;
mod vscode;
