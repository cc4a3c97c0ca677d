//! The action of the chosen route, in Istio's HTTP filter order: CORS, then fault, then the
//! router (redirect, direct response, or a forward to a weighted destination with its header
//! operations, rewrites, mirrors and timeout).

use super::decision::{reply, Forward, LocalReply, Outcome, ReplyKind};
use super::endpoint::hash_for;
use super::matching::Request;
use super::rewrite::{apply_ops, layer, redirect_location, request_uri, rewrite_path};
use super::Tracer;
use crate::lb::Rng;
use crate::table::*;

pub(super) fn act<'t>(
    table: &'t RouteTable,
    r: &'t Route,
    req: &Request,
    listener: &Listener,
    rng: &mut dyn Rng,
    t: &mut Tracer,
) -> Outcome<'t> {
    let _ = listener;
    if let Action::Passthrough = &r.action {
        t.add(|| "no service matches this host; Istio's ALLOW_ANY sends it to PassthroughCluster, which meshroute cannot do: 502".into());
        return Outcome::Reply(reply(
            ReplyKind::Passthrough,
            502,
            format!(
                "meshroute: {:?} is not a known service (PassthroughCluster is not supported)\n",
                req.host()
            ),
        ));
    }
    let ex = &r.extras;
    // Istio's HTTP filter chain runs cors, then fault, then the router; route.go TranslateRoute
    // attaches the CORS and fault per-route configs whatever the route's action is.
    let cors_headers = match cors(ex.cors.as_ref(), req, t) {
        Ok(h) => h,
        Err(rep) => return Outcome::Reply(rep),
    };
    let mut delay_ms = None;
    if let Some(f) = &ex.fault {
        if let Some(ms) = f.delay_ms {
            if draw(rng, f.delay_per_million) {
                t.add(|| {
                    format!(
                        "fault delay {ms} ms ({}% of requests)",
                        f.delay_per_million as f64 / 10_000.0
                    )
                });
                delay_ms = Some(ms);
            }
        }
        if let Some(status) = f.abort_status {
            if draw(rng, f.abort_per_million) {
                t.add(|| {
                    format!(
                        "fault abort {status} ({}% of requests)",
                        f.abort_per_million as f64 / 10_000.0
                    )
                });
                let mut rep = reply(ReplyKind::FaultAbort, status, "fault filter abort");
                rep.grpc_status = f.abort_grpc_status;
                if let Some(d) = delay_ms {
                    // Envoy delays first, then aborts: the filter applies the delay.
                    rep.headers
                        .push((crate::wire::DELAY_PSEUDO_HEADER.into(), d.to_string()));
                }
                rep.headers.extend(cors_headers);
                return Outcome::Reply(rep);
            }
        }
    }
    // A local reply from the router (redirect, direct response) still gets the route's response
    // header operations (Envoy router: `finalizeResponseHeaders` on direct-response entries), the
    // CORS headers and the fault delay.
    let local = |mut rep: LocalReply| {
        apply_ops(&mut rep.headers, &ex.response_headers);
        rep.headers.extend(cors_headers.iter().cloned());
        if let Some(d) = delay_ms {
            rep.headers
                .push((crate::wire::DELAY_PSEUDO_HEADER.into(), d.to_string()));
        }
        Outcome::Reply(rep)
    };
    match &r.action {
        Action::Passthrough => unreachable_passthrough(),
        Action::Redirect(rd) => {
            let location = redirect_location(rd, &r.matcher, req);
            t.add(|| format!("redirect {} to {location}", rd.code));
            let mut rep = reply(ReplyKind::Redirect, rd.code, "");
            rep.headers.push(("location".into(), location));
            local(rep)
        }
        Action::DirectResponse { status, body } => {
            t.add(|| format!("direct response {status}"));
            let mut rep = reply(
                ReplyKind::DirectResponse,
                *status,
                body.clone().unwrap_or_default(),
            );
            // Envoy adds `location` (the request's own URI) to a direct response with status 201
            // or 3xx (router.cc, RFC 7231 §7.1.2).
            if *status == 201 || (300..400).contains(status) {
                rep.headers.push(("location".into(), request_uri(req)));
            }
            // REGISTRY_ONLY's `block_all` route: Istio's telemetry names BlackHoleCluster.
            if r.virtual_service.is_none() && r.name == BLOCK_ALL_ROUTE {
                t.add(|| {
                    "no service matches this host; outboundTrafficPolicy REGISTRY_ONLY: \
                     BlackHoleCluster, 502"
                        .into()
                });
                rep.cluster = Some(BLACKHOLE_CLUSTER.into());
            }
            local(rep)
        }
        Action::Forward(dests) => {
            let di = pick_weighted(dests, rng);
            let dest = &dests[di];
            if dests.len() > 1 {
                // u64: weights are int32 each (Istio), so a few large ones overflow a u32 sum
                // (found by fuzzing: a debug-build panic on three weights near i32::MAX).
                let total: u64 = dests.iter().map(|d| u64::from(d.weight)).sum();
                t.add(|| {
                    format!(
                        "weighted destinations: chose {} (weight {} of {total})",
                        dest.cluster_name, dest.weight
                    )
                });
            }
            let cluster = match dest.cluster {
                ClusterRef::Known(c) => c,
                ClusterRef::Missing(_) => {
                    let status = ex.cluster_not_found_status.unwrap_or(503);
                    t.add(|| {
                        format!(
                            "cluster {} does not exist (unknown host, port or subset): {status} NC",
                            dest.cluster_name
                        )
                    });
                    return Outcome::Reply(reply(
                        ReplyKind::ClusterNotFound,
                        status,
                        format!("meshroute: cluster {} not found\n", dest.cluster_name),
                    ));
                }
            };
            let c = &table.clusters[cluster as usize];
            t.add(|| {
                format!(
                    "cluster {} ({} endpoints, {})",
                    c.name,
                    c.endpoints.len(),
                    c.selector.policy.envoy_name()
                )
            });
            // Header operations in the order Envoy evaluates them (each header parser removes
            // before it adds). One destination: its operations are appended to the route's, in
            // one parser (route.go processDestination). Weighted: the cluster-weight parser runs
            // first, then the route's (route.go processWeightedDestination; Envoy
            // WeightedClusterEntry::finalizeRequestHeaders).
            let (request_headers, response_headers) = if dests.len() == 1 {
                (
                    layer(&ex.request_headers, &dest.request_headers, true),
                    layer(&ex.response_headers, &dest.response_headers, true),
                )
            } else {
                (
                    layer(&dest.request_headers, &ex.request_headers, false),
                    layer(&dest.response_headers, &ex.response_headers, false),
                )
            };
            let path = rewrite_path(&r.matcher, ex.uri_rewrite.as_ref(), req);
            if let Some(p) = &path {
                t.add(|| format!("path rewritten to {p:?}"));
            }
            // Route-level host rewrite wins over a destination's (Istio only sets the
            // destination's when the route has none; Envoy applies the route's last).
            let authority = ex
                .authority_rewrite
                .clone()
                .or_else(|| dest.authority.clone());
            if let Some(a) = &authority {
                t.add(|| format!("authority rewritten to {a:?}"));
            }
            let mut mirrors = Vec::new();
            for m in &ex.mirrors {
                if let ClusterRef::Known(mc) = m.cluster {
                    if draw(rng, m.per_million) {
                        t.add(|| format!("mirror to {}", m.cluster_name));
                        mirrors.push((mc, None));
                    }
                }
            }
            if ex.timeout_ms > 0 {
                t.add(|| format!("timeout {} ms", ex.timeout_ms));
            }
            let (hash, set_cookie) = hash_for(c, req);
            Outcome::Forward(Box::new(Forward {
                cluster,
                cluster_name: &c.name,
                endpoint: None,
                endpoint_address: None,
                original_dst: None,
                path,
                authority,
                request_headers,
                response_headers,
                timeout_ms: ex.timeout_ms,
                retry: ex.retry.as_ref(),
                delay_ms,
                mirrors,
                cors_headers,
                hash,
                set_cookie,
                attempt_endpoints: Vec::new(),
            }))
        }
    }
}

fn unreachable_passthrough<'t>() -> Outcome<'t> {
    Outcome::Reply(reply(ReplyKind::Passthrough, 502, ""))
}

/// Envoy's CORS filter: `Err` is the reply to a preflight it answers itself; `Ok` the headers to
/// add to the response of an actual request from an allowed origin.
fn cors(
    c: Option<&CorsSpec>,
    req: &Request,
    t: &mut Tracer,
) -> Result<Vec<(String, String)>, LocalReply> {
    let mut cors_headers = Vec::new();
    let Some(c) = c else {
        return Ok(cors_headers);
    };
    let Some(origin) = req.header("origin") else {
        return Ok(cors_headers);
    };
    let allowed = c.allow_origins.iter().any(|m| m.matches(&origin));
    let preflight =
        req.method == b"OPTIONS" && req.header("access-control-request-method").is_some();
    let origin_s = String::from_utf8_lossy(&origin).into_owned();
    if preflight && allowed {
        t.add(|| format!("CORS preflight from allowed origin {origin_s:?}: 200"));
        let mut rep = reply(ReplyKind::CorsPreflight, 200, "");
        rep.headers
            .push(("access-control-allow-origin".into(), origin_s));
        if !c.allow_methods.is_empty() {
            rep.headers.push((
                "access-control-allow-methods".into(),
                c.allow_methods.clone(),
            ));
        }
        if !c.allow_headers.is_empty() {
            rep.headers.push((
                "access-control-allow-headers".into(),
                c.allow_headers.clone(),
            ));
        }
        if let Some(m) = &c.max_age {
            rep.headers
                .push(("access-control-max-age".into(), m.clone()));
        }
        if c.allow_credentials {
            rep.headers
                .push(("access-control-allow-credentials".into(), "true".into()));
        }
        return Err(rep);
    }
    if preflight && c.ignore_unmatched_preflights {
        t.add(|| format!("CORS preflight from origin {origin_s:?} not allowed; unmatchedPreflights IGNORE: 200 without CORS headers"));
        return Err(reply(ReplyKind::CorsPreflight, 200, ""));
    }
    if allowed && !preflight {
        cors_headers.push(("access-control-allow-origin".into(), origin_s));
        if c.allow_credentials {
            cors_headers.push(("access-control-allow-credentials".into(), "true".into()));
        }
        if !c.expose_headers.is_empty() {
            cors_headers.push((
                "access-control-expose-headers".into(),
                c.expose_headers.clone(),
            ));
        }
    }
    Ok(cors_headers)
}

fn draw(rng: &mut dyn Rng, per_million: u32) -> bool {
    per_million >= 1_000_000 || (per_million > 0 && rng.below(1_000_000) < u64::from(per_million))
}

fn pick_weighted(dests: &[WeightedDest], rng: &mut dyn Rng) -> usize {
    if dests.len() == 1 {
        return 0;
    }
    let total: u64 = dests.iter().map(|d| u64::from(d.weight)).sum();
    if total == 0 {
        return 0;
    }
    let mut x = rng.below(total);
    for (i, d) in dests.iter().enumerate() {
        if x < u64::from(d.weight) {
            return i;
        }
        x -= u64::from(d.weight);
    }
    dests.len() - 1
}
