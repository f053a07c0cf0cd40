//! The `switchboard` binary: parses the command line, sets up logging (never to stdout, which
//! carries the LSP protocol), and serves LSP on stdio or runs a one-shot command.

use std::path::PathBuf;

use clap::{Parser, Subcommand};
use tracing_subscriber::EnvFilter;

#[derive(Debug, Parser)]
#[command(
    name = "switchboard",
    version,
    about = "AI completions and code actions for every LSP editor, from any model vendor"
)]
struct Cli {
    /// Configuration file (default: $SWITCHBOARD_CONFIG, else $XDG_CONFIG_HOME/switchboard/config.toml).
    #[arg(long, global = true, value_name = "PATH")]
    config: Option<PathBuf>,
    /// Write logs to this file instead of stderr.
    #[arg(long, global = true, value_name = "PATH")]
    log_file: Option<PathBuf>,
    /// Log level or filter: error, warn, info, debug, trace, or an env-filter directive
    /// (default: warn when serving, since editors show the server's stderr as errors; error for
    /// other commands).
    #[arg(long, global = true, value_name = "LEVEL")]
    log_level: Option<String>,
    /// Serve LSP on stdin/stdout (the default; accepted for editors that pass it).
    #[arg(long)]
    stdio: bool,
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Serve LSP on stdin/stdout (the default).
    Serve,
    /// Validate a configuration file (default: the user's) and print every problem; exit 1 on errors.
    CheckConfig {
        /// The file to check; a `.switchboard.toml` is checked as a workspace file.
        path: Option<PathBuf>,
    },
    /// Check every configured and detected provider with one real request; exit 0 if one works.
    Doctor,
    /// Complete once at FILE:LINE:COLUMN (1-based; the column counts characters) and print the
    /// suggestion, with the configured or detected providers.
    Complete {
        /// Where: FILE:LINE:COLUMN.
        target: switchboard::complete_cli::Target,
        /// Also print the context, the prompt, the provider that answered and the timings.
        #[arg(long)]
        explain: bool,
    },
}

fn init_logging(cli: &Cli) -> anyhow::Result<()> {
    let serving = matches!(cli.command, None | Some(Command::Serve));
    let level = cli.log_level.clone().unwrap_or_else(|| if serving { "warn" } else { "error" }.to_owned());
    let mut filter =
        EnvFilter::try_new(&level).map_err(|error| anyhow::anyhow!("invalid --log-level {level:?}: {error}"))?;
    // Whole LSP messages (the user's files, secrets included) only when asked for by name.
    let wire = switchboard::lsp::WIRE_LOG_TARGET;
    if !level.contains(wire) {
        filter = filter.add_directive(format!("{wire}=debug").parse()?);
    }
    let builder = tracing_subscriber::fmt().with_env_filter(filter).with_ansi(false);
    match &cli.log_file {
        Some(path) => {
            let file = std::fs::OpenOptions::new()
                .create(true)
                .append(true)
                .open(path)
                .map_err(|error| anyhow::anyhow!("cannot open log file {}: {error}", path.display()))?;
            builder.with_writer(std::sync::Mutex::new(file)).init();
        }
        None => builder.with_writer(std::io::stderr).init(),
    }
    Ok(())
}

fn main() -> std::process::ExitCode {
    let cli = Cli::parse();
    if let Err(error) = init_logging(&cli) {
        report_error(&error.to_string());
        return std::process::ExitCode::from(2);
    }
    std::panic::set_hook(Box::new(|info| {
        let backtrace = std::backtrace::Backtrace::capture();
        match backtrace.status() {
            std::backtrace::BacktraceStatus::Captured => tracing::error!("panic: {info}\n{backtrace}"),
            _ => tracing::error!("panic: {info} (RUST_BACKTRACE=1 shows where)"),
        }
    }));
    // One thread for everything (no hand-offs per message); at most two for blocking work (first
    // parses, certificates, query compilation): each such thread gets its own malloc arena, and
    // trees parsed on many of them held +72 MiB after a completion in 50 files against +42 MiB.
    let runtime = match tokio::runtime::Builder::new_current_thread().enable_all().max_blocking_threads(2).build() {
        Ok(runtime) => runtime,
        Err(error) => {
            report_error(&format!("cannot start the async runtime: {error}"));
            return std::process::ExitCode::from(2);
        }
    };
    let code = match &cli.command {
        Some(Command::Doctor) => runtime.block_on(doctor(cli.config.as_deref())),
        Some(Command::Complete { target, explain }) => {
            runtime.block_on(complete(cli.config.as_deref(), target, *explain))
        }
        Some(Command::CheckConfig { path }) => check_config(path.as_deref().or(cli.config.as_deref()), path.is_none()),
        None | Some(Command::Serve) => {
            let debug_methods = std::env::var_os(switchboard::lsp::ext::DEBUG_METHODS_ENV).is_some_and(|v| v == "1");
            let options = switchboard::lsp::ServerOptions { debug_methods, config_path: cli.config.clone() };
            runtime.block_on(switchboard::lsp::serve_stdio(options))
        }
    };
    // Handlers still waiting on a model must not keep a dead server alive.
    runtime.shutdown_timeout(std::time::Duration::from_millis(100));
    std::process::ExitCode::from(u8::try_from(code).unwrap_or(1))
}

/// `switchboard complete`: prints the suggestion on stdout (exit 0), or why there is none on
/// stderr (exit 1).
#[allow(clippy::print_stdout, clippy::print_stderr, reason = "a CLI command's output, not the LSP channel")]
async fn complete(
    config_path: Option<&std::path::Path>,
    target: &switchboard::complete_cli::Target,
    explain: bool,
) -> i32 {
    use switchboard::config::{ConfigState, UserConfigLocation, render_problems};
    let mut state = ConfigState::new();
    let update = state.load_user_file(&UserConfigLocation::resolve(config_path));
    if !update.problems.is_empty() {
        eprint!("{}", render_problems(&update.problems));
    }
    if state.config().locked {
        eprintln!("switchboard: {}.", switchboard::config::LOCKED_MESSAGE);
        return 2;
    }
    match switchboard::complete_cli::run(target, &state.config(), explain).await {
        Ok(report) => {
            if explain {
                print!("{}", report.explain);
                println!("== suggestion");
            }
            match (report.suggestion, report.reason) {
                (Some(suggestion), _) => {
                    println!("{suggestion}");
                    0
                }
                (None, reason) => {
                    eprintln!("switchboard: no suggestion: {}", reason.as_deref().unwrap_or("nothing came back"));
                    1
                }
            }
        }
        Err(error) => {
            eprintln!("switchboard: {error}");
            2
        }
    }
}

/// `switchboard doctor`: prints the provider report on stdout.
#[allow(clippy::print_stdout, reason = "a CLI command's report, not the LSP channel")]
async fn doctor(config_path: Option<&std::path::Path>) -> i32 {
    use switchboard::config::{ConfigState, UserConfigLocation, render_problems};
    let mut state = ConfigState::new();
    let update = state.load_user_file(&UserConfigLocation::resolve(config_path));
    if !update.problems.is_empty() {
        println!("{}", render_problems(&update.problems));
    }
    let config = state.config();
    if config.locked {
        println!("{}.", switchboard::config::LOCKED_MESSAGE);
        return 1;
    }
    let local = switchboard::provider_chains::probe_if_needed(&config).await;
    let rows = switchboard::doctor::run(&config, &switchboard::provider_chains::process_env, local).await;
    print!("{}", switchboard::doctor::render(&rows));
    i32::from(!rows.iter().any(|row| row.ok))
}

/// `switchboard check-config`: prints problems (or that the file is fine) on stdout.
#[allow(clippy::print_stdout, reason = "a CLI command's report, not the LSP channel")]
fn check_config(path: Option<&std::path::Path>, user_default: bool) -> i32 {
    use switchboard::config::{UserConfigLocation, check_config_file, check_user_config, has_errors, render_problems};
    let (shown, problems) = match path {
        Some(path) if !user_default => (path.display().to_string(), check_config_file(path)),
        _ => {
            let location = UserConfigLocation::resolve(path);
            let shown =
                location.path.as_ref().map_or_else(|| "(no config file)".to_owned(), |p| p.display().to_string());
            (shown, check_user_config(&location))
        }
    };
    if problems.is_empty() {
        println!("{shown}: ok");
    } else {
        print!("{}", render_problems(&problems));
    }
    i32::from(has_errors(&problems))
}

#[allow(clippy::print_stderr, reason = "CLI error before logging exists")]
fn report_error(message: &str) {
    eprintln!("switchboard: {message}");
}
