//! `meshroute`: check, simulate, proxy-config and bootstrap Istio traffic configuration.
//!
//! ```text
//! meshroute check -f examples/seed
//! ```
//!
//! Each subcommand lives in its own module with a `run(args) -> exit code` entry point; this
//! file only dispatches. Exit codes: 0 success, 1 the input has errors, 2 usage or I/O problem.
#![forbid(unsafe_code)]

mod bootstrap;
mod check;
mod out;

use std::ffi::OsString;

const USAGE: &str = "\
usage: meshroute <command> [options]

commands:
  check      validate Istio/Kubernetes YAML and analyze it like `istioctl analyze`
  bootstrap  write an Envoy bootstrap that loads the meshroute filter

run `meshroute <command> --help` for the options of a command";

fn main() {
    let mut args = std::env::args_os().skip(1);
    let first = args.next();
    let rest: Vec<OsString> = args.collect();
    let code = match first.as_ref().map(|a| a.to_string_lossy()) {
        Some(cmd) => match cmd.as_ref() {
            "check" => check::run(&rest),
            "bootstrap" => {
                let rest: Vec<String> = rest
                    .iter()
                    .map(|a| a.to_string_lossy().into_owned())
                    .collect();
                bootstrap::run(&rest)
            }
            "-h" | "--help" | "help" => {
                out::stdout(USAGE);
                0
            }
            "-V" | "--version" => {
                out::stdout(&format!("meshroute {}", env!("CARGO_PKG_VERSION")));
                0
            }
            other => {
                out::stderr(&format!("meshroute: unknown command {other:?}\n{USAGE}"));
                2
            }
        },
        None => {
            out::stderr(USAGE);
            2
        }
    };
    std::process::exit(code);
}
