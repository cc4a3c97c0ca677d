//! `meshroute simulate`: route one request (or N) through the compiled table and show the
//! decision and its trace. Everything but argument handling is core's (`route::decide`,
//! `views::decision_json_for`).

use crate::common::{self, Arg, Args, Output, EXIT_USAGE};
use meshroute_core::config::ProxyKind;
use meshroute_core::lb::SplitMix64;
use meshroute_core::route::{decide, LbState, Request};
use meshroute_core::table::RouteTable;
use meshroute_core::views::{self, Tally};
use std::net::IpAddr;

pub const USAGE: &str = "\
Usage: meshroute simulate -c CONFIG [--listener-port N] [-X METHOD] [-H 'name: value']...
                          [--source-ip IP] [--requests N] [--seed S] [--output text|json] URL

Routes a request the way the proxy described by CONFIG would, and prints the decision
(virtual host, route, cluster, endpoint, rewrites, local reply) with its trace.

  -c, --config FILE      meshroute config file (proxy + resources)
      --listener-port N  the Envoy listener port the request arrives on (gateway: the
                         Service targetPort, e.g. 8080); default: the config's listenerPort,
                         else the listener serving the URL's port; sidecar: the URL's port
  -X, --request METHOD   HTTP method (default GET)
  -H, --header 'n: v'    request header, repeatable; 'Host: x' replaces the authority
      --source-ip IP     downstream address (consistent hash on source IP)
      --requests N       route N requests, carrying load-balancer state; print counts
      --seed S           seed of the random draws (weights, faults, LB); default 1
  -o, --output FMT       text (default) or json
URL: http://host[:port]/path?query";

/// The parts of a URL a request needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Url {
    pub scheme: String,
    /// `host[:port]` as written (user info dropped).
    pub authority: String,
    /// Path and query; `/` when absent. The fragment is dropped, as clients do.
    pub path: String,
    pub port: Option<u32>,
}

pub fn parse_url(s: &str) -> Result<Url, String> {
    let (scheme, rest) = match s.split_once("://") {
        Some((sc, rest)) => (sc.to_ascii_lowercase(), rest),
        None => ("http".to_string(), s),
    };
    if scheme != "http" && scheme != "https" {
        return Err(format!("URL scheme must be http or https, got {scheme:?}"));
    }
    let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let mut authority = &rest[..end];
    if let Some((_, a)) = authority.rsplit_once('@') {
        authority = a;
    }
    if authority.is_empty() {
        return Err(format!("URL {s:?} has no host"));
    }
    let mut path = rest[end..].split('#').next().unwrap_or("").to_string();
    if !path.starts_with('/') {
        path.insert(0, '/');
    }
    let port = if authority.starts_with('[') {
        authority
            .rsplit_once("]:")
            .map(|(_, p)| p.parse::<u32>())
            .transpose()
    } else {
        authority
            .rsplit_once(':')
            .map(|(_, p)| p.parse::<u32>())
            .transpose()
    }
    .map_err(|_| format!("URL {s:?} has a bad port"))?;
    if port.is_some_and(|p| p == 0 || p > 65535) {
        return Err(format!("URL {s:?} has a bad port"));
    }
    Ok(Url {
        scheme,
        authority: authority.to_string(),
        path,
        port,
    })
}

/// `name: value` (also `:authority: value`) → lower-case name, value without leading spaces.
pub fn parse_header(h: &str) -> Result<(String, String), String> {
    let split_at = if let Some(rest) = h.strip_prefix(':') {
        rest.find(':').map(|i| i + 1)
    } else {
        h.find(':')
    };
    let Some(i) = split_at else {
        return Err(format!("header {h:?} must be 'name: value'"));
    };
    let name = h[..i].trim().to_ascii_lowercase();
    if name.is_empty() || name == ":" {
        return Err(format!("header {h:?} has no name"));
    }
    Ok((name, h[i + 1..].trim_start().to_string()))
}

#[derive(Debug, Default)]
struct Opts {
    config: Option<String>,
    listener_port: Option<u32>,
    method: Option<String>,
    headers: Vec<(String, String)>,
    source_ip: Option<IpAddr>,
    requests: u64,
    seed: u64,
    output: Output,
    url: Option<String>,
}

fn parse_args(args: &[String]) -> Result<Option<Opts>, String> {
    let mut o = Opts {
        requests: 1,
        seed: 1,
        ..Default::default()
    };
    let mut a = Args::new(args);
    while let Some(arg) = a.next_arg() {
        match arg {
            Arg::Positional(p) => {
                if o.url.replace(p).is_some() {
                    return Err("only one URL may be given".into());
                }
            }
            Arg::Flag(f, inline) => match f.as_str() {
                "-h" | "--help" => return Ok(None),
                "-c" | "--config" => o.config = Some(a.value(&f, inline)?),
                "--listener-port" => {
                    let v = a.value(&f, inline)?;
                    o.listener_port = Some(
                        v.parse()
                            .ok()
                            .filter(|p| (1..=65535).contains(p))
                            .ok_or_else(|| format!("--listener-port must be 1-65535, got {v:?}"))?,
                    );
                }
                "-X" | "--request" | "--method" => {
                    o.method = Some(a.value(&f, inline)?.to_ascii_uppercase())
                }
                "-H" | "--header" => o.headers.push(parse_header(&a.value(&f, inline)?)?),
                "--source-ip" => {
                    let v = a.value(&f, inline)?;
                    o.source_ip =
                        Some(v.parse().map_err(|_| {
                            format!("--source-ip must be an IP address, got {v:?}")
                        })?);
                }
                "--requests" | "-n" => {
                    let v = a.value(&f, inline)?;
                    o.requests = v.parse().ok().filter(|n| *n >= 1).ok_or_else(|| {
                        format!("--requests must be a positive number, got {v:?}")
                    })?;
                }
                "--seed" => {
                    let v = a.value(&f, inline)?;
                    o.seed = v
                        .parse()
                        .map_err(|_| format!("--seed must be a number, got {v:?}"))?;
                }
                "-o" | "--output" => o.output = Output::parse(&a.value(&f, inline)?)?,
                other => return Err(format!("unknown flag {other}")),
            },
        }
    }
    Ok(Some(o))
}

/// The listener port a request for `url` arrives on.
fn listener_port(
    table: &RouteTable,
    config_port: Option<u32>,
    flag: Option<u32>,
    url: &Url,
) -> Result<u32, String> {
    let url_port = url
        .port
        .unwrap_or(if url.scheme == "https" { 443 } else { 80 });
    if table.proxy.kind == ProxyKind::Sidecar {
        // A sidecar routes by the port the application dialled: the URL's (core uses the
        // authority's port, 80 when absent).
        let port = url.port.unwrap_or(80);
        if let Some(f) = flag.filter(|f| *f != port) {
            crate::out::stderr(&format!(
                "Warning: sidecar proxies route by the URL's port ({port}); --listener-port {f} is ignored"
            ));
        }
        return Ok(port);
    }
    if let Some(p) = flag.or(config_port) {
        return Ok(p);
    }
    // A gateway listens on the Service's targetPort: find the listener serving the URL's
    // (Service/server) port.
    if let Some(l) = table
        .listeners
        .iter()
        .find(|l| l.server_ports.contains(&url_port))
        .or_else(|| table.listeners.iter().find(|l| l.port == url_port))
    {
        return Ok(l.port);
    }
    match table.listeners.as_slice() {
        [only] => Ok(only.port),
        [] => Err("the proxy has no listeners; nothing can be routed".into()),
        many => Err(format!(
            "give --listener-port; listeners: {}",
            many.iter()
                .map(|l| l.port.to_string())
                .collect::<Vec<_>>()
                .join(", ")
        )),
    }
}

pub fn run(args: &[String]) -> i32 {
    let o = match parse_args(args) {
        Ok(Some(o)) => o,
        Ok(None) => {
            crate::out::stdout(USAGE);
            return 0;
        }
        Err(e) => return common::usage_error(&e, USAGE),
    };
    let Some(config) = &o.config else {
        return common::usage_error("-c CONFIG is required", USAGE);
    };
    let Some(url) = &o.url else {
        return common::usage_error("a URL is required", USAGE);
    };
    let url = match parse_url(url) {
        Ok(u) => u,
        Err(e) => return common::usage_error(&e, USAGE),
    };
    let loaded = match common::load_config(config) {
        Ok(l) => l,
        Err(code) => return code,
    };
    let table = &loaded.table;
    let port = match listener_port(table, loaded.config.listener_port, o.listener_port, &url) {
        Ok(p) => p,
        Err(e) => {
            crate::out::stderr(&format!("Error: {e}"));
            return EXIT_USAGE;
        }
    };
    // `Host:` (or `:authority:`) replaces the URL's authority, as with curl.
    let mut authority = url.authority.clone();
    let mut headers = Vec::new();
    for (k, v) in &o.headers {
        if k == "host" || k == ":authority" {
            authority = v.clone();
        } else {
            headers.push((k.as_bytes(), v.as_bytes()));
        }
    }
    let method = o.method.clone().unwrap_or_else(|| "GET".into());
    let req = Request {
        filter_chain: b"",
        listener_port: port,
        authority: authority.as_bytes(),
        path: url.path.as_bytes(),
        method: method.as_bytes(),
        scheme: url.scheme.as_bytes(),
        headers: &headers,
        source_ip: o.source_ip,
    };
    let mut state = LbState::for_table(table);
    let mut rng = SplitMix64(o.seed);
    if o.requests == 1 {
        let d = decide(table, &req, &mut state, 0, &mut rng, true);
        let v = views::decision_json_for(&d, table, &req);
        match o.output {
            Output::Json => common::print_json(&v),
            Output::Text => common::write_stdout(&views::render_decision(&v)),
        }
        return 0;
    }
    let mut tally = Tally::default();
    for i in 0..o.requests {
        // Simulated time advances 1 ms a request; each request completes before the next
        // starts, so in-flight counts (LEAST_REQUEST) stay at zero.
        let d = decide(table, &req, &mut state, i, &mut rng, false);
        tally.add(&d);
    }
    match o.output {
        Output::Json => common::print_json(&tally.to_json()),
        Output::Text => common::write_stdout(&tally.render()),
    }
    0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn url_authority_keeps_the_port_and_path_defaults_to_slash() {
        let u = parse_url("http://demoappv10.magedu.com:8080").unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(u.authority, "demoappv10.magedu.com:8080");
        assert_eq!(u.port, Some(8080));
        assert_eq!(u.path, "/");
        let u = parse_url("https://u:p@h.com/a/b?q=1#frag").unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            (u.scheme.as_str(), u.authority.as_str(), u.path.as_str()),
            ("https", "h.com", "/a/b?q=1")
        );
        let u = parse_url("h.com?x").unwrap_or_else(|e| panic!("{e}"));
        assert_eq!((u.scheme.as_str(), u.path.as_str()), ("http", "/?x"));
        let u = parse_url("http://[::1]:81/").unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(u.port, Some(81));
    }

    #[test]
    fn bad_urls_are_rejected() {
        assert!(parse_url("ftp://x/").is_err());
        assert!(parse_url("http:///x").is_err());
        assert!(parse_url("http://x:http/").is_err());
        assert!(parse_url("http://x:70000/").is_err());
    }

    #[test]
    fn headers_are_lower_cased_name_value_pairs() {
        assert_eq!(
            parse_header("X-User:  jason").ok(),
            Some(("x-user".into(), "jason".into()))
        );
        assert_eq!(
            parse_header(":authority: a.com").ok(),
            Some((":authority".into(), "a.com".into()))
        );
        assert_eq!(
            parse_header("x-empty:").ok(),
            Some(("x-empty".into(), String::new()))
        );
        assert!(parse_header("novalue").is_err());
    }
}
