//! `meshroute proxy-config listeners|routes|clusters|endpoints|secret|all`: the compiled table
//! as `istioctl proxy-config` prints it. The rows and their rendering are core's (`views`);
//! `secret` reads the certificate files the servers name and takes the system time here.

use crate::common::{self, Output};
use meshroute_core::views;

/// The listeners, routes, clusters, endpoints and secrets Envoy would hold (istioctl's tables)
///
/// Prints the tables Envoy would hold for the proxy described by CONFIG, with istioctl's columns.
/// `secret` shows each certificate by its serial, dates and SHA-256 fingerprint, never a key.
#[derive(clap::Args, Debug)]
pub struct ProxyConfigArgs {
    /// Which table (istioctl's names, singular or plural, and its short aliases)
    #[arg(value_enum)]
    view: View,
    /// meshroute config file (proxy + resources)
    #[arg(short, long, value_name = "FILE")]
    config: String,
    /// text, or json (clusters: with the lb detail, lbPolicy …)
    #[arg(short, long, value_enum, default_value_t = Output::Text, value_name = "FMT")]
    output: Output,
    /// listeners, clusters: only this port
    #[arg(long, value_name = "N")]
    port: Option<u32>,
    /// routes: only this route configuration (e.g. http.8080)
    #[arg(long, value_name = "NAME")]
    name: Option<String>,
    /// clusters, endpoints: only this service
    #[arg(long, value_name = "FQDN")]
    fqdn: Option<String>,
    /// clusters: only this subset
    #[arg(long, value_name = "S")]
    subset: Option<String>,
    /// endpoints: only this cluster (outbound|PORT|SUBSET|FQDN)
    #[arg(long, value_name = "NAME")]
    cluster: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum View {
    #[value(alias = "listener", alias = "l")]
    Listeners,
    #[value(alias = "route", alias = "r")]
    Routes,
    #[value(alias = "cluster", alias = "c")]
    Clusters,
    #[value(alias = "endpoint", alias = "ep", alias = "eps")]
    Endpoints,
    #[value(alias = "secrets", alias = "s")]
    Secret,
    All,
}

fn keep<T: PartialEq>(filter: &Option<T>, value: &T) -> bool {
    filter.as_ref().is_none_or(|f| f == value)
}

pub fn run(o: ProxyConfigArgs) -> i32 {
    let loaded = match common::load_config(&o.config) {
        Ok(l) => l,
        Err(code) => return code,
    };
    let t = &loaded.table;
    let json = o.output == Output::Json;
    match o.view {
        View::Listeners => {
            let rows: Vec<_> = views::listeners(t)
                .into_iter()
                .filter(|r| keep(&o.port, &r.port))
                .collect();
            if json {
                common::print_json(&rows);
            } else {
                common::write_stdout(&views::render_listeners(&rows));
            }
        }
        View::Routes => {
            let rows: Vec<_> = views::routes(t)
                .into_iter()
                .filter(|r| keep(&o.name, &r.name))
                .collect();
            if json {
                common::print_json(&rows);
            } else {
                common::write_stdout(&views::render_routes(&rows));
            }
        }
        View::Clusters => {
            let rows: Vec<_> = views::clusters(t)
                .into_iter()
                .filter(|r| {
                    keep(&o.port, &r.port)
                        && keep(&o.fqdn, &r.service_fqdn)
                        && keep(&o.subset, &r.subset)
                })
                .collect();
            if json {
                common::print_json(&rows);
            } else {
                common::write_stdout(&views::render_clusters(&rows));
            }
        }
        View::Endpoints => {
            let fqdn_suffix = o.fqdn.as_ref().map(|f| format!("|{f}"));
            let rows: Vec<_> = views::endpoints(t)
                .into_iter()
                .filter(|r| {
                    keep(&o.cluster, &r.cluster)
                        && fqdn_suffix
                            .as_ref()
                            .is_none_or(|s| r.cluster.ends_with(s.as_str()))
                })
                .collect();
            if json {
                common::print_json(&rows);
            } else {
                common::write_stdout(&views::render_endpoints(&rows));
            }
        }
        View::Secret => {
            let rows = views::secrets(t, &loaded.files, loaded.now);
            if json {
                common::print_json(&rows);
            } else {
                common::write_stdout(&views::render_secrets(&rows));
            }
        }
        View::All => {
            if json {
                common::print_json(&views::tables_json(t, &loaded.files, loaded.now));
            } else {
                common::write_stdout(
                    &[
                        format!("{}\n", t.proxy.describe()),
                        views::render_listeners(&views::listeners(t)),
                        views::render_routes(&views::routes(t)),
                        views::render_clusters(&views::clusters(t)),
                        views::render_endpoints(&views::endpoints(t)),
                        views::render_secrets(&views::secrets(t, &loaded.files, loaded.now)),
                    ]
                    .join("\n"),
                );
            }
        }
    }
    0
}
