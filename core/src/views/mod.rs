//! Views: the compiled [`RouteTable`] as `istioctl proxy-config listeners|routes|clusters|endpoints|secret`
//! prints it, and a routing [`Decision`](crate::route::Decision) as the JSON the simulator (CLI and browser) shows.
//!
//! Every view is a list of serde-serializable rows (the JSON output) plus a text renderer with
//! aligned columns (the text output). Column names follow istioctl 1.2x:
//!
//! ```text
//! ADDRESSES  PORT  MATCH  DESTINATION
//! 0.0.0.0    8080  ALL    Route: http.8080
//! ```
//!
//! ```
//! use meshroute_core::{compile::compile, config::ProxyIdentity, resources::{load, LoadOptions}, views};
//! let (res, _) = load(&[("s.yaml", "apiVersion: v1\nkind: Service\nmetadata: {name: web, namespace: default}\nspec: {ports: [{name: http, port: 80}]}\n")],
//!                     &LoadOptions::default());
//! let (table, _) = compile(&res, &ProxyIdentity::sidecar("default", &[]));
//! let text = views::render_clusters(&views::clusters(&table));
//! assert!(text.starts_with("SERVICE FQDN"));
//! assert!(text.contains("web.default.svc.cluster.local"));
//! ```
//!
//! One module per table (`listeners`, `routes`, `clusters`, `endpoints`, `secrets`: its rows,
//! how they are built and rendered; `secrets` takes the caller's "now" and certificate files), `decision` for one routing decision (JSON and the person-readable
//! explanation with its trace) and `tally` for many.

mod clusters;
mod decision;
mod endpoints;
mod listeners;
mod routes;
#[cfg(feature = "certs")]
mod secrets;
mod tally;

#[cfg(test)]
mod tests;

pub use clusters::{clusters, lb_detail, render_clusters, ClusterRow, LbDetail};
pub use decision::{decision_json, decision_json_for, render_decision};
pub use endpoints::{endpoints, render_endpoints, EndpointRow};
pub use listeners::{listeners, render_listeners, tls_mode_name, ListenerRow};
pub use routes::{render_routes, routes, RouteRow};
#[cfg(feature = "certs")]
pub use secrets::{render_secrets, secrets, SecretRow};
pub use tally::Tally;

/// How many domains the DOMAINS column shows before abbreviating with `+N more`.
const MAX_DOMAINS: usize = 3;

/// `ns/name` (or a comma-separated list of them) → `name.ns`, istioctl's spelling of configs.
pub fn istioctl_name(ids: &str) -> String {
    ids.split(',')
        .filter(|s| !s.is_empty())
        .map(|id| match id.split_once('/') {
            Some((ns, name)) => format!("{name}.{ns}"),
            None => id.to_string(),
        })
        .collect::<Vec<_>>()
        .join(",")
}

/// The DOMAINS column: comma-separated, abbreviated beyond three with `+N more`.
pub fn describe_domains(domains: &[String]) -> String {
    if domains.len() <= MAX_DOMAINS {
        return domains.join(", ");
    }
    format!(
        "{} +{} more",
        domains[..MAX_DOMAINS].join(", "),
        domains.len() - MAX_DOMAINS
    )
}

#[cfg(feature = "certs")]
/// All five views in one JSON object (`listeners`, `routes`, `clusters`, `endpoints`,
/// `secrets`), the secrets at `now` (Unix seconds) with the certificate files the caller read.
pub fn tables_json(
    t: &crate::table::RouteTable,
    files: &crate::certs::FileContents,
    now: i64,
) -> serde_json::Value {
    serde_json::json!({
        "proxy": t.proxy,
        "listeners": listeners(t),
        "routes": routes(t),
        "clusters": clusters(t),
        "endpoints": endpoints(t),
        "secrets": secrets(t, files, now),
    })
}

/// Aligned columns separated by two spaces (kubectl's tabwriter padding); no trailing spaces.
pub fn render_table(headers: &[&str], rows: &[Vec<String>]) -> String {
    let mut widths: Vec<usize> = headers.iter().map(|h| h.chars().count()).collect();
    for r in rows {
        for (i, cell) in r.iter().enumerate() {
            if i < widths.len() {
                widths[i] = widths[i].max(cell.chars().count());
            }
        }
    }
    let mut out = String::new();
    let mut line = |cells: &mut dyn Iterator<Item = &str>| {
        let mut l = String::new();
        for (i, cell) in cells.enumerate() {
            l.push_str(cell);
            if i + 1 < widths.len() {
                let pad = widths[i] - cell.chars().count() + 2;
                l.extend(std::iter::repeat_n(' ', pad));
            }
        }
        out.push_str(l.trim_end());
        out.push('\n');
    };
    line(&mut headers.iter().copied());
    for r in rows {
        line(&mut r.iter().map(String::as_str));
    }
    out
}
