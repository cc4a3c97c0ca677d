//! `meshroute proxy-config listeners|routes|clusters|endpoints|all`: the compiled table as
//! `istioctl proxy-config` prints it. The rows and their rendering are core's (`views`).

use crate::common::{self, Arg, Args, Output};
use meshroute_core::views;

pub const USAGE: &str = "\
Usage: meshroute proxy-config listeners|routes|clusters|endpoints|all -c CONFIG [--output text|json]
                              [--port N] [--name NAME] [--fqdn FQDN] [--subset S] [--cluster NAME]

Prints the tables Envoy would hold for the proxy described by CONFIG, with istioctl's columns.

  -c, --config FILE   meshroute config file (proxy + resources)
  -o, --output FMT    text (default) or json (clusters: with the lb detail, lbPolicy …)
      --port N        listeners, clusters: only this port
      --name NAME     routes: only this route configuration (e.g. http.8080)
      --fqdn FQDN     clusters, endpoints: only this service
      --subset S      clusters: only this subset
      --cluster NAME  endpoints: only this cluster (outbound|PORT|SUBSET|FQDN)";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum View {
    Listeners,
    Routes,
    Clusters,
    Endpoints,
    All,
}

impl View {
    /// istioctl's names, singular and plural, and its short aliases.
    fn parse(s: &str) -> Option<View> {
        Some(match s {
            "listener" | "listeners" | "l" => View::Listeners,
            "route" | "routes" | "r" => View::Routes,
            "cluster" | "clusters" | "c" => View::Clusters,
            "endpoint" | "endpoints" | "ep" | "eps" => View::Endpoints,
            "all" => View::All,
            _ => return None,
        })
    }
}

#[derive(Debug, Default)]
struct Opts {
    view: Option<View>,
    config: Option<String>,
    output: Output,
    port: Option<u32>,
    name: Option<String>,
    fqdn: Option<String>,
    subset: Option<String>,
    cluster: Option<String>,
}

fn parse_args(args: &[String]) -> Result<Option<Opts>, String> {
    let mut o = Opts::default();
    let mut a = Args::new(args);
    while let Some(arg) = a.next_arg() {
        match arg {
            Arg::Positional(p) => {
                if o.view.is_some() {
                    return Err(format!("unexpected argument {p:?}"));
                }
                o.view = Some(View::parse(&p).ok_or_else(|| {
                    format!("unknown view {p:?}; expected listeners, routes, clusters, endpoints or all")
                })?);
            }
            Arg::Flag(f, inline) => match f.as_str() {
                "-h" | "--help" => return Ok(None),
                "-c" | "--config" => o.config = Some(a.value(&f, inline)?),
                "-o" | "--output" => o.output = Output::parse(&a.value(&f, inline)?)?,
                "--port" => {
                    let v = a.value(&f, inline)?;
                    o.port = Some(
                        v.parse()
                            .map_err(|_| format!("--port must be a number, got {v:?}"))?,
                    );
                }
                "--name" => o.name = Some(a.value(&f, inline)?),
                "--fqdn" => o.fqdn = Some(a.value(&f, inline)?),
                "--subset" => o.subset = Some(a.value(&f, inline)?),
                "--cluster" => o.cluster = Some(a.value(&f, inline)?),
                other => return Err(format!("unknown flag {other}")),
            },
        }
    }
    Ok(Some(o))
}

fn keep<T: PartialEq>(filter: &Option<T>, value: &T) -> bool {
    filter.as_ref().is_none_or(|f| f == value)
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
    let Some(view) = o.view else {
        return common::usage_error(
            "which view? listeners, routes, clusters, endpoints or all",
            USAGE,
        );
    };
    let Some(config) = &o.config else {
        return common::usage_error("-c CONFIG is required", USAGE);
    };
    let loaded = match common::load_config(config) {
        Ok(l) => l,
        Err(code) => return code,
    };
    let t = &loaded.table;
    let json = o.output == Output::Json;
    match view {
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
        View::All => {
            if json {
                common::print_json(&views::tables_json(t));
            } else {
                common::write_stdout(
                    &[
                        format!("{}\n", t.proxy.describe()),
                        views::render_listeners(&views::listeners(t)),
                        views::render_routes(&views::routes(t)),
                        views::render_clusters(&views::clusters(t)),
                        views::render_endpoints(&views::endpoints(t)),
                    ]
                    .join("\n"),
                );
            }
        }
    }
    0
}
