//! `meshroute`: check, simulate, proxy-config and bootstrap Istio traffic configuration.
//!
//! ```text
//! meshroute check -f examples/seed
//! meshroute simulate -c examples/configs/seed-gateway.yaml http://demoappv10.magedu.com/
//! meshroute proxy-config clusters -c examples/configs/seed-gateway.yaml
//! meshroute completions bash > /etc/bash_completion.d/meshroute
//! ```
//!
//! The command line is clap's (derive): each subcommand's module declares its arguments and has
//! a `run(args) -> exit code` entry point; this file only parses and dispatches. Exit codes:
//! 0 success, 1 the input has errors, 2 usage or I/O problem (clap's own usage errors exit 2
//! too).
#![forbid(unsafe_code)]

mod bootstrap;
mod check;
mod common;
mod diff;
mod inputs;
mod out;
mod proxy_config;
mod report;
mod simulate;
mod test;

use clap::{CommandFactory, FromArgMatches, Parser, Subcommand};

#[derive(Parser)]
#[command(
    name = "meshroute",
    version,
    about = "Istio traffic management for stock Envoy: check, simulate and inspect configs, write Envoy bootstraps",
    arg_required_else_help = true,
    propagate_version = true
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    Check(check::CheckArgs),
    #[command(visible_alias = "sim")]
    Simulate(simulate::SimulateArgs),
    #[command(name = "proxy-config", visible_alias = "pc")]
    ProxyConfig(proxy_config::ProxyConfigArgs),
    Bootstrap(bootstrap::BootstrapArgs),
    Test(test::TestArgs),
    Diff(diff::DiffArgs),
    /// Print a shell completion script (bash, zsh or fish) to stdout
    Completions {
        shell: clap_complete::Shell,
    },
}

fn main() {
    let matches = Cli::command().get_matches();
    let cli = Cli::from_arg_matches(&matches).unwrap_or_else(|e| e.exit());
    let code = match cli.command {
        Command::Check(args) => {
            // Inputs keep the order they were given in, `-f` and bare paths interleaved.
            let sub = matches.subcommand_matches("check");
            check::run(args.sources_in_order(sub))
        }
        Command::Simulate(args) => simulate::run(args),
        Command::ProxyConfig(args) => proxy_config::run(args),
        Command::Bootstrap(args) => bootstrap::run(args),
        Command::Test(args) => test::run(args),
        Command::Diff(args) => diff::run(args),
        Command::Completions { shell } => {
            let mut text = Vec::new();
            clap_complete::generate(shell, &mut Cli::command(), "meshroute", &mut text);
            common::write_stdout(&String::from_utf8_lossy(&text));
            0
        }
    };
    std::process::exit(code);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_command_line_definition_is_consistent() {
        Cli::command().debug_assert();
    }
}
