//! Command-line configuration.

use std::ffi::OsString;
use std::net::SocketAddr;

/// Usage text printed for `--help` and on argument errors.
pub const USAGE: &str = "\
usage: demoapp --listen IP:PORT [options]

Demo HTTP backend answering like ikubernetes/demoapp:v1.0.

options:
  --listen IP:PORT     address to listen on (required; port 0 picks a free port,
                       the real one is printed in the start line)
  --version V          version reported in bodies and headers (default v1.0)
  --name NAME          server name (default demoapp-<listen ip>)
  --latency-ms N       fixed latency added to every served request (default 0)
  --fail-status CODE   inject CODE (200..=599) instead of serving; alone it fails
                       every request, with --fail-rate a fraction of them
  --fail-rate F        fraction 0..=1 of requests to fail (default status 503);
                       deterministic: exactly floor(n*F) of the first n fail
  --quiet              no per-request access log
  -h, --help           show this help

client modes (for FROM scratch images: no shell, no curl):
  demoapp --probe URL  GET URL, exit 0 on 2xx/3xx, 1 otherwise (healthchecks)
  demoapp --fetch URL [--proxy IP:PORT] [-H 'Name: value']... [--count N] [-i]
                       [--timeout-ms N]
                       curl-like GET: prints each body (-i: status line and
                       headers too); --proxy sends it to an HTTP proxy such as
                       a sidecar Envoy; exit 1 if any request failed or got >= 400

runtime controls:
  /admin/fail?status=CODE&rate=F&count=N&grpc=G   inject failures (status 0: off);
                       grpc=G adds `grpc-status: G` to them (status=200&grpc=14:
                       a gRPC UNAVAILABLE)
  /admin/latency?ms=N, /admin/stats, /admin/reset

/healthz and /admin/* are never delayed, failed or counted.
";

/// Parsed configuration.
#[derive(Debug, Clone, PartialEq)]
pub struct Config {
    /// Address to bind.
    pub listen: SocketAddr,
    /// Version string, e.g. `v1.0`.
    pub version: String,
    /// Server name; `None` means `demoapp-<listen ip>`.
    pub name: Option<String>,
    /// Fixed latency in milliseconds.
    pub latency_ms: u64,
    /// Injected failure status (0 = off).
    pub fail_status: u16,
    /// Fraction of requests to fail when `fail_status` is set.
    pub fail_rate: f64,
    /// Suppress the access log.
    pub quiet: bool,
}

impl Config {
    /// A default configuration listening on `listen`.
    pub fn new(listen: SocketAddr) -> Self {
        Config {
            listen,
            version: "v1.0".into(),
            name: None,
            latency_ms: 0,
            fail_status: 0,
            fail_rate: 1.0,
            quiet: false,
        }
    }

    /// The effective server name.
    pub fn name(&self) -> String {
        self.name
            .clone()
            .unwrap_or_else(|| format!("demoapp-{}", self.listen.ip()))
    }
}

/// Outcome of argument parsing.
#[derive(Debug, Clone, PartialEq)]
pub enum Command {
    /// Run the server.
    Run(Config),
    /// Print [`USAGE`] and exit successfully.
    Help,
    /// `--fetch URL` / `--probe URL`: act as an HTTP client.
    Fetch(crate::client::FetchConfig),
}

/// Upper bound for configured latencies and `/delay/<ms>` (10 minutes).
pub const MAX_LATENCY_MS: u64 = 600_000;

/// Parse a failure status: 0 (off) or 200..=599.
pub fn parse_status(s: &str) -> Option<u16> {
    let n: u16 = s.trim().parse().ok()?;
    (n == 0 || (200..=599).contains(&n)).then_some(n)
}

/// Parse a rate in `0..=1`.
pub fn parse_rate(s: &str) -> Option<f64> {
    let f: f64 = s.trim().parse().ok()?;
    (f.is_finite() && (0.0..=1.0).contains(&f)).then_some(f)
}

/// Parse milliseconds up to [`MAX_LATENCY_MS`].
pub fn parse_ms(s: &str) -> Option<u64> {
    let n: u64 = s.trim().parse().ok()?;
    (n <= MAX_LATENCY_MS).then_some(n)
}

/// Parse command-line arguments (without the program name).
pub fn parse_args<I>(args: I) -> Result<Command, String>
where
    I: IntoIterator,
    I::Item: Into<OsString>,
{
    let args: Vec<OsString> = args.into_iter().map(Into::into).collect();
    if args.iter().any(|a| {
        let a = a.to_string_lossy();
        let flag = a.split('=').next().unwrap_or_default();
        flag == "--fetch" || flag == "--probe"
    }) {
        return parse_fetch_args(args);
    }
    let mut args = args.into_iter();
    let mut listen = None;
    let mut version = None;
    let mut name = None;
    let mut latency_ms = 0;
    let mut fail_status = None;
    let mut fail_rate = None;
    let mut quiet = false;

    while let Some(arg) = args.next() {
        let arg = arg
            .into_string()
            .map_err(|a| format!("argument is not valid UTF-8: {a:?}"))?;
        let (flag, inline) = match arg.split_once('=') {
            Some((f, v)) if f.starts_with("--") => (f.to_string(), Some(v.to_string())),
            _ => (arg.clone(), None),
        };
        let mut value = |flag: &str| -> Result<String, String> {
            match &inline {
                Some(v) => Ok(v.clone()),
                None => args
                    .next()
                    .ok_or_else(|| format!("{flag} needs a value"))?
                    .into_string()
                    .map_err(|a| format!("{flag}: value is not valid UTF-8: {a:?}")),
            }
        };
        match flag.as_str() {
            "-h" | "--help" => return Ok(Command::Help),
            "--listen" => {
                let v = value(&flag)?;
                listen = Some(
                    v.parse::<SocketAddr>()
                        .map_err(|e| format!("--listen {v:?}: expected IP:PORT ({e})"))?,
                );
            }
            "--version" => {
                let v = value(&flag)?;
                if v.is_empty() || v.chars().any(char::is_control) {
                    return Err(format!("--version {v:?}: must be non-empty printable text"));
                }
                version = Some(v);
            }
            "--name" => {
                let v = value(&flag)?;
                if v.is_empty() || v.chars().any(char::is_control) {
                    return Err(format!("--name {v:?}: must be non-empty printable text"));
                }
                name = Some(v);
            }
            "--latency-ms" => {
                let v = value(&flag)?;
                latency_ms = parse_ms(&v)
                    .ok_or_else(|| format!("--latency-ms {v:?}: expected 0..={MAX_LATENCY_MS}"))?;
            }
            "--fail-status" => {
                let v = value(&flag)?;
                fail_status = Some(
                    parse_status(&v)
                        .ok_or_else(|| format!("--fail-status {v:?}: expected 0 or 200..=599"))?,
                );
            }
            "--fail-rate" => {
                let v = value(&flag)?;
                fail_rate = Some(
                    parse_rate(&v).ok_or_else(|| format!("--fail-rate {v:?}: expected 0..=1"))?,
                );
            }
            "--quiet" | "-q" => {
                if inline.is_some() {
                    return Err("--quiet takes no value".into());
                }
                quiet = true;
            }
            other => return Err(format!("unknown argument {other:?}")),
        }
    }

    let listen = listen.ok_or("--listen IP:PORT is required")?;
    let mut config = Config::new(listen);
    if let Some(v) = version {
        config.version = v;
    }
    config.name = name;
    config.latency_ms = latency_ms;
    config.quiet = quiet;
    match (fail_status, fail_rate) {
        (Some(status), rate) => {
            config.fail_status = status;
            config.fail_rate = rate.unwrap_or(1.0);
        }
        (None, Some(rate)) => {
            config.fail_status = if rate > 0.0 { 503 } else { 0 };
            config.fail_rate = rate;
        }
        (None, None) => {}
    }
    Ok(Command::Run(config))
}

/// Arguments of the client modes (`--fetch URL`, `--probe URL`).
fn parse_fetch_args(args: Vec<OsString>) -> Result<Command, String> {
    use crate::client::{parse_url, FetchConfig};
    let mut cfg: Option<FetchConfig> = None;
    let mut proxy = None;
    let mut headers = Vec::new();
    let mut count = 1;
    let mut include = false;
    let mut timeout_ms = None;
    let mut args = args.into_iter();
    while let Some(arg) = args.next() {
        let arg = arg
            .into_string()
            .map_err(|a| format!("argument is not valid UTF-8: {a:?}"))?;
        let (flag, inline) = match arg.split_once('=') {
            Some((f, v)) if f.starts_with("--") => (f.to_string(), Some(v.to_string())),
            _ => (arg.clone(), None),
        };
        let mut value = |flag: &str| -> Result<String, String> {
            match &inline {
                Some(v) => Ok(v.clone()),
                None => args
                    .next()
                    .ok_or_else(|| format!("{flag} needs a value"))?
                    .into_string()
                    .map_err(|a| format!("{flag}: value is not valid UTF-8: {a:?}")),
            }
        };
        match flag.as_str() {
            "-h" | "--help" => return Ok(Command::Help),
            "--fetch" | "--probe" => {
                if cfg.is_some() {
                    return Err("only one --fetch or --probe URL".into());
                }
                let url = value(&flag)?;
                parse_url(&url)?;
                let mut c = FetchConfig::new(&url);
                c.probe = flag == "--probe";
                if c.probe {
                    c.timeout = std::time::Duration::from_secs(2);
                }
                cfg = Some(c);
            }
            "--proxy" => {
                let v = value(&flag)?;
                proxy = Some(
                    v.parse::<SocketAddr>()
                        .map_err(|e| format!("--proxy {v:?}: expected IP:PORT ({e})"))?,
                );
            }
            "-H" | "--header" => {
                let v = value(&flag)?;
                match v.split_once(':') {
                    Some((k, val))
                        if !k.trim().is_empty() && !v.chars().any(|c| c == '\r' || c == '\n') =>
                    {
                        headers.push((k.trim().to_string(), val.trim().to_string()))
                    }
                    _ => return Err(format!("-H {v:?}: expected 'Name: value'")),
                }
            }
            "--count" => {
                let v = value(&flag)?;
                count = v
                    .parse::<u32>()
                    .ok()
                    .filter(|n| (1..=100_000).contains(n))
                    .ok_or_else(|| format!("--count {v:?}: expected 1..=100000"))?;
            }
            "--timeout-ms" => {
                let v = value(&flag)?;
                timeout_ms =
                    Some(parse_ms(&v).filter(|n| *n > 0).ok_or_else(|| {
                        format!("--timeout-ms {v:?}: expected 1..={MAX_LATENCY_MS}")
                    })?);
            }
            "-i" | "--include" => include = true,
            other => return Err(format!("unknown argument {other:?} in client mode")),
        }
    }
    let mut cfg = cfg.ok_or("--fetch URL or --probe URL is required")?;
    cfg.proxy = proxy;
    cfg.headers = headers;
    cfg.count = count;
    cfg.include = include;
    if let Some(ms) = timeout_ms {
        cfg.timeout = std::time::Duration::from_millis(ms);
    }
    Ok(Command::Fetch(cfg))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(args: &[&str]) -> Result<Config, String> {
        match parse_args(args.iter().copied())? {
            Command::Run(c) => Ok(c),
            Command::Help | Command::Fetch(_) => Err("not a server".into()),
        }
    }

    #[test]
    fn defaults() {
        let c = run(&["--listen", "10.0.0.7:8080"]).unwrap();
        assert_eq!(c.listen, "10.0.0.7:8080".parse().unwrap());
        assert_eq!(c.version, "v1.0");
        assert_eq!(c.name(), "demoapp-10.0.0.7");
        assert_eq!((c.latency_ms, c.fail_status, c.quiet), (0, 0, false));
    }

    #[test]
    fn all_flags_and_equals_form() {
        let c = run(&[
            "--listen=127.0.0.1:0",
            "--version",
            "v1.1",
            "--name=backend-a",
            "--latency-ms",
            "25",
            "--fail-status",
            "500",
            "--fail-rate=0.25",
            "--quiet",
        ])
        .unwrap();
        assert_eq!(c.listen.port(), 0);
        assert_eq!(c.version, "v1.1");
        assert_eq!(c.name(), "backend-a");
        assert_eq!(c.latency_ms, 25);
        assert_eq!((c.fail_status, c.fail_rate), (500, 0.25));
        assert!(c.quiet);
    }

    #[test]
    fn fail_flag_combinations() {
        let c = run(&["--listen", "[::1]:80", "--fail-status", "503"]).unwrap();
        assert_eq!((c.fail_status, c.fail_rate), (503, 1.0));
        assert_eq!(c.name(), "demoapp-::1");
        let c = run(&["--listen", "1.2.3.4:80", "--fail-rate", "0.5"]).unwrap();
        assert_eq!((c.fail_status, c.fail_rate), (503, 0.5));
        let c = run(&["--listen", "1.2.3.4:80", "--fail-rate", "0"]).unwrap();
        assert_eq!(c.fail_status, 0);
    }

    #[test]
    fn errors() {
        for bad in [
            &[][..],
            &["--listen"],
            &["--listen", "localhost"],
            &["--listen", "1.2.3.4:80", "--bogus"],
            &["--listen", "1.2.3.4:80", "--fail-status", "99"],
            &["--listen", "1.2.3.4:80", "--fail-status", "600"],
            &["--listen", "1.2.3.4:80", "--fail-rate", "1.5"],
            &["--listen", "1.2.3.4:80", "--fail-rate", "NaN"],
            &["--listen", "1.2.3.4:80", "--latency-ms", "-1"],
            &["--listen", "1.2.3.4:80", "--name", ""],
            &["--listen", "1.2.3.4:80", "--quiet=1"],
        ] {
            assert!(run(bad).is_err(), "{bad:?}");
        }
        assert_eq!(parse_args(["--help"]).unwrap(), Command::Help);
    }

    #[test]
    fn client_modes() {
        let Command::Fetch(c) = parse_args([
            "--fetch",
            "http://demoappv10:8080/x",
            "--proxy=127.0.0.1:15001",
            "-H",
            "Host: a.b",
            "--count",
            "3",
            "-i",
        ])
        .unwrap() else {
            panic!("not fetch")
        };
        assert_eq!(c.proxy, Some("127.0.0.1:15001".parse().unwrap()));
        assert_eq!(c.headers, vec![("Host".to_string(), "a.b".to_string())]);
        assert_eq!((c.count, c.include, c.probe), (3, true, false));
        let Command::Fetch(c) = parse_args(["--probe", "http://127.0.0.1:8080/healthz"]).unwrap()
        else {
            panic!("not probe")
        };
        assert!(c.probe);
        for bad in [
            &["--fetch"][..],
            &["--fetch", "ftp://x/"],
            &["--fetch", "http://x/", "--count", "0"],
            &["--fetch", "http://x/", "-H", "nocolon"],
            &["--fetch", "http://x/", "--listen", "1.2.3.4:80"],
            &["--fetch", "http://x/", "--probe", "http://y/"],
            &["--fetch", "http://x/", "--proxy", "localhost"],
        ] {
            assert!(parse_args(bad.iter().copied()).is_err(), "{bad:?}");
        }
    }

    #[cfg(unix)]
    #[test]
    fn non_utf8_argument_is_an_error_not_a_panic() {
        use std::os::unix::ffi::OsStringExt;
        let bad = OsString::from_vec(vec![b'-', b'-', 0xff]);
        assert!(parse_args([OsString::from("--listen"), bad]).is_err());
    }
}
