//! `meshroute simulate`: route one request (or N) through the compiled table and show the
//! decision and its trace. Everything but argument handling is core's (`route::decide`,
//! `views::decision_json_for`).

use crate::common::{self, Output, EXIT_USAGE};
use meshroute_core::config::ProxyKind;
use meshroute_core::lb::SplitMix64;
use meshroute_core::route::{decide, LbState, Request};
use meshroute_core::table::RouteTable;
use meshroute_core::views::{self, Tally};
use std::net::IpAddr;

/// Route a request through a config; show the decision and its trace
///
/// Routes a request the way the proxy described by CONFIG would, and prints the decision
/// (virtual host, route, cluster, endpoint, rewrites, local reply) with its trace.
#[derive(clap::Args, Debug)]
pub struct SimulateArgs {
    /// meshroute config file (proxy + resources)
    #[arg(short, long, value_name = "FILE")]
    config: String,
    /// The Envoy listener port the request arrives on (gateway: the Service targetPort, e.g.
    /// 8080); default: the config's listenerPort, else the listener serving the URL's port;
    /// sidecar: the URL's port
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..=65535))]
    listener_port: Option<u32>,
    /// HTTP method (default GET)
    #[arg(
        short = 'X',
        long = "request",
        visible_alias = "method",
        value_name = "METHOD"
    )]
    method: Option<String>,
    /// Request header, repeatable; 'Host: x' replaces the authority
    #[arg(short = 'H', long = "header", value_name = "'n: v'", value_parser = parse_header)]
    headers: Vec<(String, String)>,
    /// Downstream address (consistent hash on source IP)
    #[arg(long, value_name = "IP")]
    source_ip: Option<IpAddr>,
    /// Route N requests, carrying load-balancer state; print counts
    #[arg(short = 'n', long, value_name = "N", default_value_t = 1,
          value_parser = clap::value_parser!(u64).range(1..))]
    requests: u64,
    /// Seed of the random draws (weights, faults, LB)
    #[arg(long, value_name = "S", default_value_t = 1)]
    seed: u64,
    /// text, or json (the decision and its trace as data)
    #[arg(short, long, value_enum, default_value_t = Output::Text, value_name = "FMT")]
    output: Output,
    /// http://host[:port]/path?query
    #[arg(value_parser = parse_url)]
    url: Url,
}

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

pub fn run(o: SimulateArgs) -> i32 {
    let url = &o.url;
    let loaded = match common::load_config(&o.config) {
        Ok(l) => l,
        Err(code) => return code,
    };
    let table = &loaded.table;
    let port = match listener_port(table, loaded.config.listener_port, o.listener_port, url) {
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
    let method = o.method.as_deref().unwrap_or("GET").to_ascii_uppercase();
    let req = Request {
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
