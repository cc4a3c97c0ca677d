//! `meshroute simulate`: route one request (or N) through the compiled table and show the
//! decision and its trace. Everything but argument handling is core's (`probe` turns the URL
//! into a request, `route::decide`, `views::decision_json_for`).

use crate::common::{self, Output, EXIT_USAGE};
use meshroute_core::lb::SplitMix64;
use meshroute_core::probe::{self, parse_header, parse_url, Probe, Url};
use meshroute_core::route::{decide, LbState};
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
    /// http://host[:port]/path?query, https://… (SNI = host), or tls://sni:port and
    /// tcp://host:port for a gateway's TLS passthrough and TCP servers
    #[arg(value_parser = parse_url)]
    url: Url,
}

pub fn run(o: SimulateArgs) -> i32 {
    let url = &o.url;
    let loaded = match common::load_config(&o.config) {
        Ok(l) => l,
        Err(code) => return code,
    };
    let table = &loaded.table;
    // TLS passthrough and TCP servers: Envoy's tcp_proxy, not the HTTP filter.
    let sni = (url.scheme != "tcp").then(|| sni_of(&url.authority));
    if let Some(d) = probe::decide_l4(table, url, sni.as_deref()) {
        match o.output {
            Output::Json => common::print_json(&d),
            Output::Text => {
                let mut t = format!(
                    "tcp_proxy: {}\n",
                    d.clusters
                        .iter()
                        .map(|(c, w)| format!("{c} (weight {w})"))
                        .collect::<Vec<_>>()
                        .join(", ")
                );
                for line in &d.trace {
                    t.push_str(&format!("  {line}\n"));
                }
                for m in &d.missing {
                    t.push_str(&format!(
                        "  cluster {m} does not exist: Envoy closes the connection\n"
                    ));
                }
                common::write_stdout(&t);
            }
        }
        return 0;
    }
    if matches!(url.scheme.as_str(), "tcp" | "tls") {
        crate::out::stderr(&format!(
            "Error: no TLS passthrough or TCP server of this proxy listens on port {}",
            url.port.map_or("(none given)".into(), |p| p.to_string())
        ));
        return 1;
    }
    if probe::sidecar_ignores_listener_port(table, o.listener_port, url) {
        crate::out::stderr(&format!(
            "Warning: sidecar proxies route by the URL's port ({}); --listener-port {} is ignored",
            url.port.unwrap_or(80),
            o.listener_port.unwrap_or_default()
        ));
    }
    let port = match probe::listener_port(table, loaded.config.listener_port, o.listener_port, url)
    {
        Ok(p) => p,
        Err(e) => {
            crate::out::stderr(&format!("Error: {e}"));
            return EXIT_USAGE;
        }
    };
    let method = o.method.as_deref().unwrap_or("GET");
    let mut probe = Probe::new(url, port, method, &o.headers, o.source_ip);
    // https://: the URL's host is the SNI (as curl sends it), choosing the TLS filter chain.
    let sni = crate::simulate::sni_of(&url.authority);
    if let Err(e) = probe.choose_filter_chain(table, &sni) {
        crate::out::stderr(&format!("Error: {e}"));
        return 1;
    }
    let headers = probe.header_bytes();
    let req = probe.request(&headers);
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

/// The host of an authority (`host[:port]`, `[v6]:port`), lower-cased: the SNI a client sends.
pub fn sni_of(authority: &str) -> String {
    let host = if let Some(rest) = authority.strip_prefix('[') {
        rest.split(']').next().unwrap_or("")
    } else {
        authority.rsplit_once(':').map_or(authority, |(h, _)| h)
    };
    host.to_ascii_lowercase()
}
