//! The `warroom` command line. Kept small: parse arguments, build settings, call `app`.

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use clap::{Parser, Subcommand};
use tracing_subscriber::EnvFilter;

use warroom::config::{Overrides, Settings};
use warroom::engine::clock::SystemClock;

#[derive(Debug, Parser)]
#[command(
    name = "warroom",
    version,
    about = "ChatOps incident response: alerts in, war rooms out."
)]
struct Cli {
    #[command(subcommand)]
    command: CommandLine,
}

#[derive(Debug, Subcommand)]
enum CommandLine {
    /// Run warroom: HTTP intake, engine, outbox and chat.
    Serve {
        /// The config file (TOML). Without one, built-in defaults and demo users are used.
        #[arg(long, env = "WARROOM_CONFIG")]
        config: Option<PathBuf>,
        /// Listen here instead of the config's http.addr (e.g. 127.0.0.1:8080).
        #[arg(long)]
        http_addr: Option<String>,
        /// Keep data here instead of the config's store.path.
        #[arg(long)]
        data_dir: Option<PathBuf>,
    },
    /// Validate the config, locales, commands/ and playbooks/ without starting anything.
    Check {
        #[arg(long, env = "WARROOM_CONFIG")]
        config: Option<PathBuf>,
        /// The folder holding commands/ and playbooks/.
        #[arg(long, default_value = ".")]
        root: PathBuf,
    },
    /// API tokens for people (needs no config).
    Token {
        #[command(subcommand)]
        command: TokenCommand,
    },
}

#[derive(Debug, Subcommand)]
enum TokenCommand {
    /// Print a fresh random token for USER and the `token_sha256` line for the config.
    New {
        /// The user's name, as in `[[users]] name`.
        user: String,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        CommandLine::Serve {
            config,
            http_addr,
            data_dir,
        } => {
            let overrides = Overrides {
                http_addr,
                data_dir,
                ingest_token: None,
            };
            let settings = match Settings::load(config.as_deref(), &overrides) {
                Ok(settings) => settings,
                Err(error) => {
                    eprintln!("warroom: {error}");
                    return ExitCode::from(2);
                }
            };
            let filter = EnvFilter::try_from_env("WARROOM_LOG")
                .unwrap_or_else(|_| EnvFilter::new(&settings.log_filter));
            warroom::logging::init(filter);
            // Logged only now: the log filter itself comes from the settings.
            for warning in &settings.warnings {
                tracing::warn!(%warning, "Config warning.");
            }
            tracing::info!(
                commands = settings.policy.actions.catalog.len(),
                services = settings.policy.actions.services.iter().count(),
                dir = %settings.commands_dir.display(),
                "Command catalog loaded."
            );
            let runtime = match tokio::runtime::Runtime::new() {
                Ok(runtime) => runtime,
                Err(error) => {
                    eprintln!("warroom: cannot start the runtime: {error}");
                    return ExitCode::FAILURE;
                }
            };
            let served = runtime.block_on(warroom::app::serve(settings, Arc::new(SystemClock)));
            // A blocking task still running (a flush on a disk that never answers) must not
            // keep the process alive: the stop is bounded, so is this.
            runtime.shutdown_timeout(std::time::Duration::from_millis(500));
            match served {
                Ok(()) => ExitCode::SUCCESS,
                Err(error) => {
                    eprintln!("warroom: {error:#}");
                    ExitCode::FAILURE
                }
            }
        }
        CommandLine::Token {
            command: TokenCommand::New { user },
        } if !warroom::config::is_valid_user_name(&user) => {
            eprintln!(
                "warroom: \"{user}\" is not a user name: use 1-64 characters without spaces, @, < or >, as in [[users]] name"
            );
            ExitCode::from(2)
        }
        CommandLine::Token {
            command: TokenCommand::New { user },
        } => match warroom::credentials::new_token() {
            Ok(token) => {
                let hash = warroom::credentials::TokenHash::of(&token).to_hex();
                println!("# The token for {user}. Hand it over privately: it is shown only once,");
                println!(
                    "# and warroom keeps only its hash. Send it as Authorization: Bearer <token>."
                );
                println!("{token}");
                println!("# Paste this line into {user}'s [[users]] entry in the config:");
                println!("token_sha256 = \"{hash}\"");
                ExitCode::SUCCESS
            }
            Err(error) => {
                eprintln!("warroom: {error}");
                ExitCode::FAILURE
            }
        },
        CommandLine::Check { config, root } => {
            let findings = warroom::check::run(config.as_deref(), &root);
            print!("{}", warroom::check::render(&findings));
            if findings.iter().any(|finding| !finding.ok) {
                ExitCode::FAILURE
            } else {
                ExitCode::SUCCESS
            }
        }
    }
}
