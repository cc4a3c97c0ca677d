//! `demoapp` binary: the demo HTTP backend for meshroute tests, answering like
//! `ikubernetes/demoapp:v1.0`. See `demoapp --help` and the library docs.

use std::io::Write;
use std::process::ExitCode;

use demoapp::config::USAGE;
use demoapp::{Command, Server};

fn main() -> ExitCode {
    let config = match demoapp::parse_args(std::env::args_os().skip(1)) {
        Ok(Command::Run(config)) => config,
        Ok(Command::Fetch(cfg)) => {
            let code = demoapp::client::run(&cfg, &mut std::io::stdout(), &mut std::io::stderr());
            return ExitCode::from(code);
        }
        Ok(Command::Help) => {
            let _ = std::io::stdout().write_all(USAGE.as_bytes());
            return ExitCode::SUCCESS;
        }
        Err(e) => {
            let _ = writeln!(std::io::stderr(), "demoapp: {e}\n\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    let server = match Server::bind(&config) {
        Ok(server) => server,
        Err(e) => {
            let _ = writeln!(
                std::io::stderr(),
                "demoapp: cannot listen on {}: {e}",
                config.listen
            );
            return ExitCode::from(1);
        }
    };
    {
        let mut out = std::io::stdout().lock();
        let _ = writeln!(out, "{}", server.start_line());
        let _ = out.flush();
    }
    server.run()
}
