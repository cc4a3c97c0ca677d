//! Per request: listener → virtual host → first matching route → action, then endpoint choice.
//! Allocation-light and panic-free on any bytes (header values need not be UTF-8).
//!
//! Envoy's runtime order (route_components.proto): route configuration by listener port,
//! virtual host by `:authority` (port ignored: Istio sets `ignore_port_in_host_matching`),
//! routes in order — first match wins — then the action.
//!
//! The modules: `matching` (the request, route matches), `action` (what the chosen route does:
//! CORS, faults, redirects, direct responses, forwards), `rewrite` (header operations, path
//! rewrites, redirect locations), `decision` (what routing answers) and `endpoint`
//! (load-balancer state, endpoint choice, outlier feedback).

use crate::config::ProxyKind;
use crate::lb::Rng;
use crate::table::*;

mod action;
mod decision;
mod endpoint;
mod matching;
mod rewrite;

#[cfg(test)]
mod tests;

use action::act;
use decision::reply;
pub use decision::{Decision, Forward, LocalReply, Outcome, ReplyKind};
pub use endpoint::{decide, pick_endpoints, record_response, LbState};
use matching::route_matches;
pub use matching::Request;
pub use rewrite::{layer, redirect_location};

struct Tracer {
    on: bool,
    lines: Vec<String>,
}

impl Tracer {
    fn add(&mut self, f: impl FnOnce() -> String) {
        if self.on {
            self.lines.push(f());
        }
    }
}

/// Routes a request (no endpoint choice yet). `rng` supplies the draws for weights, fault and
/// mirror percentages; `trace` asks for an explanation.
pub fn route<'t>(
    table: &'t RouteTable,
    req: &Request,
    rng: &mut dyn Rng,
    trace: bool,
) -> Decision<'t> {
    let mut t = Tracer {
        on: trace,
        lines: Vec::new(),
    };
    let mut d = Decision {
        listener: None,
        route_config: None,
        virtual_host: None,
        virtual_service: None,
        route: None,
        route_index: None,
        outcome: Outcome::Reply(reply(ReplyKind::NoListener, 404, "")),
        trace: Vec::new(),
    };
    let port = match table.proxy.kind {
        ProxyKind::Sidecar => req.authority_port().unwrap_or(80),
        ProxyKind::Gateway => req.listener_port,
    };
    let Some(listener) = table.listener(port) else {
        t.add(|| format!("no listener for port {port}: no route configuration serves it"));
        d.outcome = Outcome::Reply(reply(
            ReplyKind::NoListener,
            404,
            format!("meshroute: no listener for port {port}\n"),
        ));
        d.trace = t.lines;
        return d;
    };
    d.listener = Some(&listener.name);
    let rc = &table.route_configs[listener.route_config_for(req.filter_chain)];
    d.route_config = Some(&rc.name);
    t.add(|| {
        format!(
            "listener {} (port {port}) → route configuration {:?}",
            listener.name, rc.name
        )
    });
    let host = req.host();
    let Some(vi) = rc.find_virtual_host(&host) else {
        t.add(|| format!("no virtual host matches {host:?} (port ignored): 404 NR"));
        d.outcome = Outcome::Reply(reply(
            ReplyKind::NoVirtualHost,
            404,
            format!("meshroute: no virtual host for {host:?}\n"),
        ));
        d.trace = t.lines;
        return d;
    };
    let vh = &rc.virtual_hosts[vi];
    d.virtual_host = Some(&vh.name);
    t.add(|| {
        format!(
            "authority {host:?} → virtual host {:?} (domains {:?})",
            vh.name, vh.domains
        )
    });
    if vh.require_tls && req.scheme != b"https" {
        let location = format!(
            "https://{}{}",
            String::from_utf8_lossy(req.authority),
            String::from_utf8_lossy(req.path)
        );
        t.add(|| format!("server has httpsRedirect: 301 to {location}"));
        let mut r = reply(ReplyKind::Redirect, 301, "");
        r.headers.push(("location".into(), location));
        d.outcome = Outcome::Reply(r);
        d.trace = t.lines;
        return d;
    }
    let path = req.path_only();
    let query = req.query();
    let mut chosen = None;
    for (ri, r) in vh.routes.iter().enumerate() {
        match route_matches(&r.matcher, req, path, query) {
            Ok(()) => {
                t.add(|| {
                    format!(
                        "route {} {:?} matches ({})",
                        ri,
                        r.name,
                        r.matcher.describe()
                    )
                });
                chosen = Some((ri, r));
                break;
            }
            Err(why) => t.add(|| {
                format!(
                    "route {} {:?} ({}) does not match: {why}",
                    ri,
                    r.name,
                    r.matcher.describe()
                )
            }),
        }
    }
    let Some((ri, r)) = chosen else {
        t.add(|| "no route matches: 404 NR".to_string());
        d.outcome = Outcome::Reply(reply(
            ReplyKind::NoRoute,
            404,
            "meshroute: no route matched\n",
        ));
        d.trace = t.lines;
        return d;
    };
    d.route = Some(&r.name);
    d.route_index = Some(ri);
    d.virtual_service = r.virtual_service.as_deref();
    d.outcome = act(table, r, req, listener, rng, &mut t);
    d.trace = t.lines;
    d
}
