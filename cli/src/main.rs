//! `meshroute`: check, simulate, proxy-config and bootstrap Istio traffic configuration.
//!
//! ```text
//! meshroute check -f examples/seed
//! meshroute simulate -c examples/configs/seed-gateway.yaml http://demoappv10.magedu.com/
//! meshroute proxy-config clusters -c examples/configs/seed-gateway.yaml
//! ```
//!
//! Each subcommand lives in its own module with a `run(args) -> exit code` entry point; this
//! file only dispatches. Exit codes: 0 success, 1 the input has errors, 2 usage or I/O problem.
#![forbid(unsafe_code)]

mod bootstrap;
mod check;
mod common;
mod out;
mod proxy_config;
mod simulate;

use std::ffi::OsString;

const USAGE: &str = "\
usage: meshroute <command> [options]

commands:
  check         validate Istio/Kubernetes YAML and analyze it like `istioctl analyze`
  simulate      route a request through a config; show the decision and its trace
  proxy-config  the listeners, routes, clusters and endpoints Envoy would hold (istioctl's tables)
  bootstrap     write an Envoy bootstrap that loads the meshroute filter

run `meshroute <command> --help` for the options of a command";

fn strings(args: &[OsString]) -> Vec<String> {
    args.iter()
        .map(|a| a.to_string_lossy().into_owned())
        .collect()
}

fn main() {
    let mut args = std::env::args_os().skip(1);
    let first = args.next();
    let rest: Vec<OsString> = args.collect();
    let code = match first.as_ref().map(|a| a.to_string_lossy()) {
        Some(cmd) => match cmd.as_ref() {
            "check" => check::run(&rest),
            "bootstrap" => bootstrap::run(&strings(&rest)),
            "simulate" | "sim" => simulate::run(&strings(&rest)),
            "proxy-config" | "pc" => proxy_config::run(&strings(&rest)),
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
