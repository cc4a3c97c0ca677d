//! Shared pieces of meshroute's fuzz targets: the configurations they start from (the seed and
//! every scenario under `core/tests/scenarios/`), a text format for requests, and the
//! invariants every decision must satisfy. See `fuzz/README.md`.

use meshroute_core::check::prepare;
use meshroute_core::compile::compile;
use meshroute_core::config::parse_config;
use meshroute_core::resources::LoadOptions;
use meshroute_core::route::{Decision, Outcome};
use meshroute_core::table::{Action, ClusterRef, Route, RouteTable};
use std::net::IpAddr;
use std::path::PathBuf;
use std::sync::OnceLock;

const SEED_FILES: [&str; 5] = [
    include_str!("../../examples/seed/demoapp.yaml"),
    include_str!("../../examples/seed/ingress-gateway.yaml"),
    include_str!("../../examples/seed/gateway.yaml"),
    include_str!("../../examples/seed/virtualservice.yaml"),
    include_str!("../../examples/seed/destinationrule.yaml"),
];

/// The seed scenario (examples/seed) as a meshroute config file for the ingress gateway.
pub fn seed_config() -> String {
    let mut s = String::from(
        "proxy: {kind: gateway, namespace: istio-system, labels: {app: istio-ingressgateway, istio: ingressgateway}}\nlistenerPort: 8080\nresources: |\n",
    );
    for (i, f) in SEED_FILES.iter().enumerate() {
        if i > 0 {
            s.push_str("  ---\n");
        }
        for line in f.lines() {
            s.push_str("  ");
            s.push_str(line);
            s.push('\n');
        }
    }
    s
}

/// The `config:` block of a scenario file, de-indented: a meshroute config file.
pub fn config_block(scenario: &str) -> Option<String> {
    let mut out = String::new();
    let mut inside = false;
    for line in scenario.lines() {
        if inside {
            if !line.is_empty() && !line.starts_with(' ') && !line.starts_with('#') {
                break;
            }
            out.push_str(line.strip_prefix("  ").unwrap_or(line));
            out.push('\n');
        } else if line.trim_end() == "config:" {
            inside = true;
        }
    }
    inside.then_some(out)
}

fn scenario_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../core/tests/scenarios")
}

/// Base configurations, in a stable order: the seed first, then every scenario's `config:`
/// (sorted by file name). Read once at start-up.
pub fn base_configs() -> &'static [(String, String)] {
    static BASES: OnceLock<Vec<(String, String)>> = OnceLock::new();
    BASES.get_or_init(|| {
        let mut v = vec![("seed".to_string(), seed_config())];
        let mut files: Vec<PathBuf> = std::fs::read_dir(scenario_dir())
            .map(|d| d.filter_map(|e| e.ok().map(|e| e.path())).collect())
            .unwrap_or_default();
        files.retain(|p| p.extension().is_some_and(|e| e == "yaml"));
        files.sort();
        for p in files {
            let Ok(text) = std::fs::read_to_string(&p) else {
                continue;
            };
            // Scenarios that pull their resources from files are the seed again.
            if text.contains("\nresourceFiles:") {
                continue;
            }
            if let Some(c) = config_block(&text) {
                let name = p
                    .file_stem()
                    .map(|s| s.to_string_lossy().into_owned())
                    .unwrap_or_default();
                v.push((name, c));
            }
        }
        v
    })
}

/// A prepared base: the compiled table and the config's filter options.
pub struct Base {
    pub name: String,
    pub table: RouteTable,
    pub debug: bool,
    pub listener_port: Option<u32>,
}

/// Every base, prepared (indices aligned with [`base_configs`]). A few scenarios deliberately
/// hold resources the API server would refuse; those are compiled anyway (as the scenario
/// tests and `meshroute simulate` do), so the tables still get fuzzed. `None` only when the
/// config file itself is unusable.
pub fn prepared_bases() -> &'static [Option<Base>] {
    static PREPARED: OnceLock<Vec<Option<Base>>> = OnceLock::new();
    PREPARED.get_or_init(|| {
        base_configs()
            .iter()
            .map(|(name, text)| {
                let load = LoadOptions::default();
                if let Ok(p) = prepare(name, text.as_bytes(), &load) {
                    return Some(Base {
                        name: name.clone(),
                        debug: p.config.debug,
                        listener_port: p.config.listener_port,
                        table: p.table,
                    });
                }
                let cfg = parse_config(name, text.as_bytes(), &load).0?;
                Some(Base {
                    name: name.clone(),
                    debug: cfg.debug,
                    listener_port: cfg.listener_port,
                    table: compile(&cfg.resources, &cfg.proxy).0,
                })
            })
            .collect()
    })
}

/// A request written as text, one header per line (HTTP/1-like, so libFuzzer's mutations and
/// hand-written seeds both work):
///
/// ```text
/// @config 3            optional: which prepared base (0 = the seed)
/// @port 8080           optional: listener port (default: the config's listenerPort, else 80)
/// @debug               optional: debug response headers on
/// @source 10.1.2.3     optional: source address
/// GET /path HTTP/1.1   request line → :method, :path (the target as written)
/// :authority: a.com    pseudo-headers may be given as headers too
/// name: value          any bytes; names are taken lossily as UTF-8
/// ```
#[derive(Debug, Default)]
pub struct TextRequest {
    pub config: usize,
    pub port: Option<u32>,
    pub debug: bool,
    pub source: Option<IpAddr>,
    pub headers: Vec<(String, Vec<u8>)>,
}

pub fn parse_request(data: &[u8]) -> TextRequest {
    let mut r = TextRequest::default();
    let mut seen_request_line = false;
    for line in data.split(|&b| b == b'\n') {
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        if let Some(d) = line.strip_prefix(b"@") {
            let d = String::from_utf8_lossy(d);
            let mut it = d.splitn(2, ' ');
            let (k, v) = (it.next().unwrap_or(""), it.next().unwrap_or("").trim());
            match k {
                "config" => r.config = v.parse().unwrap_or(0),
                "port" => r.port = v.parse().ok(),
                "debug" => r.debug = true,
                "source" => r.source = v.parse().ok(),
                _ => {}
            }
            continue;
        }
        if !seen_request_line {
            seen_request_line = true;
            let mut parts = line.splitn(3, |&b| b == b' ');
            let method = parts.next().unwrap_or(b"");
            let target = parts.next().unwrap_or(b"");
            r.headers.push((":method".into(), method.to_vec()));
            r.headers.push((":path".into(), target.to_vec()));
            r.headers.push((":scheme".into(), b"http".to_vec()));
            continue;
        }
        // `:name: value` for pseudo-headers, `name: value` otherwise.
        let from = usize::from(line.first() == Some(&b':'));
        let Some(colon) = line[from..].iter().position(|&b| b == b':') else {
            if !line.is_empty() {
                r.headers
                    .push((String::from_utf8_lossy(line).into_owned(), Vec::new()));
            }
            continue;
        };
        let (name, value) = line.split_at(from + colon);
        let value = &value[1..];
        let value = value.strip_prefix(b" ").unwrap_or(value);
        r.headers
            .push((String::from_utf8_lossy(name).into_owned(), value.to_vec()));
    }
    r
}

/// The route a decision names (listener → route configuration → virtual host → route index).
pub fn decided_route<'t>(t: &'t RouteTable, d: &Decision) -> Option<&'t Route> {
    let listener = t
        .listeners
        .iter()
        .find(|l| Some(l.name.as_str()) == d.listener)?;
    let rc = t.route_configs.get(listener.route_config)?;
    let vh = rc
        .virtual_hosts
        .iter()
        .find(|v| Some(v.name.as_str()) == d.virtual_host)?;
    vh.routes.get(d.route_index?)
}

/// Invariants of every decision `decide` returns:
/// - a forwarded decision names an existing cluster, and carries an endpoint of that cluster;
/// - the cluster is one of the matched route's weighted destinations;
/// - mirror endpoints belong to their mirror clusters.
pub fn assert_decision_invariants(t: &RouteTable, d: &Decision) {
    let Outcome::Forward(f) = &d.outcome else {
        return;
    };
    let c = t
        .clusters
        .get(f.cluster as usize)
        .unwrap_or_else(|| panic!("forward to cluster index {} out of range", f.cluster));
    assert_eq!(f.cluster_name, c.name, "cluster name and index disagree");
    if c.name == meshroute_core::table::PASSTHROUGH_CLUSTER {
        // ALLOW_ANY: Envoy's ORIGINAL_DST takes the request's own destination (an IP:PORT
        // authority), never one of the table's endpoints.
        assert!(f.endpoint.is_none(), "a passthrough decision picked a table endpoint");
        if let Some(a) = &f.original_dst {
            assert!(
                a.parse::<std::net::SocketAddr>().is_ok(),
                "passthrough destination {a:?} is not IP:PORT"
            );
        }
    } else {
        let i = f
            .endpoint
            .unwrap_or_else(|| panic!("decide forwarded to {} without an endpoint", c.name));
        assert!(
            i < c.endpoints.len(),
            "endpoint index {i} outside {}",
            c.name
        );
        assert_eq!(
            f.endpoint_address,
            Some(c.endpoints[i].address.as_str()),
            "endpoint address is not the cluster's endpoint {i}"
        );
    }
    let r = decided_route(t, d).expect("a forwarded decision names its route");
    let Action::Forward(dests) = &r.action else {
        panic!("forwarded through a route whose action is not Forward");
    };
    assert!(
        dests
            .iter()
            .any(|w| w.cluster == ClusterRef::Known(f.cluster)),
        "chose {} which is not among the route's destinations {:?}",
        c.name,
        dests.iter().map(|w| &w.cluster_name).collect::<Vec<_>>()
    );
    for (mc, mi) in &f.mirrors {
        let m = &t.clusters[*mc as usize];
        if let Some(mi) = mi {
            assert!(
                *mi < m.endpoints.len(),
                "mirror endpoint outside {}",
                m.name
            );
        }
    }
}

/// Every table's static invariants: a route with several destinations has no zero weight
/// (route.go drops them), and every known cluster reference is in range.
pub fn assert_table_invariants(t: &RouteTable) {
    for rc in &t.route_configs {
        for vh in &rc.virtual_hosts {
            for r in &vh.routes {
                if let Action::Forward(dests) = &r.action {
                    assert!(!dests.is_empty(), "route {} forwards nowhere", r.name);
                    if dests.len() > 1 {
                        assert!(
                            dests.iter().all(|d| d.weight > 0),
                            "route {} keeps a zero-weight destination among several",
                            r.name
                        );
                    }
                    for d in dests {
                        if let ClusterRef::Known(c) = d.cluster {
                            assert!((c as usize) < t.clusters.len());
                            assert_eq!(t.clusters[c as usize].name, d.cluster_name);
                        }
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_base_config_prepares() {
        let all = base_configs();
        assert!(all.len() > 20, "{} bases", all.len());
        let ok = prepared_bases().iter().filter(|b| b.is_some()).count();
        assert_eq!(ok, all.len(), "every base compiles");
        assert!(prepare("seed", seed_config().as_bytes(), &LoadOptions::default()).is_ok());
    }

    #[test]
    fn request_text_parses_pseudo_headers_and_directives() {
        let r = parse_request(
            b"@config 2\n@port 8080\nGET /x?y HTTP/1.1\r\n:authority: a.com\nx-a: b: c\nbare\n",
        );
        assert_eq!((r.config, r.port), (2, Some(8080)));
        let h: Vec<(&str, &[u8])> = r
            .headers
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_slice()))
            .collect();
        assert_eq!(
            h,
            vec![
                (":method", &b"GET"[..]),
                (":path", b"/x?y"),
                (":scheme", b"http"),
                (":authority", b"a.com"),
                ("x-a", b"b: c"),
                ("bare", b""),
            ]
        );
    }
}
