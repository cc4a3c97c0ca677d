//! Compile: resources + proxy identity → [`RouteTable`], the way istiod builds a proxy's
//! listeners, routes and clusters. Everything decidable before a request is decided here.
//!
//! Istio sources followed: pilot/pkg/networking/core/httproute.go (sidecar vhosts),
//! gateway.go (gateway vhosts), route/route.go (route translation), pkg/model/gateway.go
//! (port resolution), pkg/model/virtualservice.go (delegates), push_context.go (DR lookup),
//! destination_rule.go (DR merge), cluster_traffic_policy.go (LB, outlier, pool).
//!
//! One module per thing istiod builds, named after the istiod files it follows:
//!
//! | module | builds | Istio |
//! | --- | --- | --- |
//! | this file | [`compile`], the shared context `Cx`, creation order | `pilot/pkg/networking/core/configgen.go` |
//! | `virtual_service` | the VirtualServices a proxy sees, in order, short names resolved | `pilot/pkg/model/push_context.go`, `pilot/pkg/model/virtualservice.go` |
//! | `delegate` | delegate VirtualService merging and conflicts | `pilot/pkg/model/virtualservice.go` |
//! | `destination_rule` | the DestinationRule index, lookup and merge | `pilot/pkg/model/push_context.go`, `pilot/pkg/model/destination_rule.go` |
//! | `cluster` | clusters per service port and subset | `pilot/pkg/networking/core/cluster.go`, `cluster_builder.go` |
//! | `traffic_policy` | port-level and subset policy merge; LB, outlier detection, pool limits | `pilot/pkg/networking/util/util.go`, `pilot/pkg/networking/core/cluster_traffic_policy.go` |
//! | `sidecar` | sidecar outbound route configurations, virtual hosts, domains, default routes | `pilot/pkg/networking/core/httproute.go` |
//! | `gateway` | gateway route configurations: servers, bound VirtualServices, ports, hosts | `pilot/pkg/networking/core/gateway.go`, `pilot/pkg/model/gateway.go` |
//! | `gateway_l4` | TLS PASSTHROUGH and TCP servers: `tls`/`tcp` routes to tcp_proxy chains | `pilot/pkg/networking/core/gateway.go` |
//! | `gateway_tls` | HTTPS servers: TLS parameters, certificates from Secrets or files | `pilot/pkg/networking/core/gateway.go`, `pilot/pkg/credentials/kube/secrets.go` |
//! | `route` | VirtualService HTTP rules → routes: matches, actions, header ops, faults, CORS, mirrors, rewrites | `pilot/pkg/networking/core/route/route.go` |
//! | `retry` | retry policies | `pilot/pkg/networking/core/route/retry/retry.go` |
//! | `gateway_api` | Gateway API Gateways, HTTPRoutes and GRPCRoutes → gateway listeners and routes | `pilot/pkg/config/kube/gateway/*.go` |

mod cluster;
mod delegate;
mod destination_rule;
mod gateway;
mod gateway_api;
mod gateway_l4;
mod gateway_tls;
mod retry;
mod route;
mod sidecar;
mod traffic_policy;
mod virtual_service;

#[cfg(test)]
mod tests;
#[cfg(test)]
mod tests_gateway_tls;

pub use gateway_api::{
    codes as gateway_api_codes, status as gateway_api_status,
    GATEWAY_NAME_LABEL as GATEWAY_API_NAME_LABEL,
};
pub use gateway_tls::{
    TLS_BAD_CERTIFICATE, TLS_CERT_VALIDITY, TLS_CREDENTIAL, TLS_DUPLICATE_HOST, TLS_KEY_MISMATCH,
    TLS_NOT_ENFORCED,
};
pub use retry::default_retry;
pub use route::{decode_base64, grpc_code};
pub use sidecar::apply_outbound_traffic_policy;

use crate::config::{ProxyIdentity, ProxyKind};
use crate::diag::Diagnostic;
use crate::model::istio::*;
use crate::registry::Registry;
use crate::resources::{Object, Resources};
use crate::table::*;
use destination_rule::DrIndex;
use std::collections::HashMap;

/// Compiles the table for one proxy. Diagnostics are things istiod would silently do that a
/// user should know (dropped routes, unusable redirect codes); they never block compiling.
pub fn compile(res: &Resources, proxy: &ProxyIdentity) -> (RouteTable, Vec<Diagnostic>) {
    let reg = Registry::build(res);
    let mut cx = Cx {
        res,
        reg: &reg,
        proxy,
        diags: Vec::new(),
        table: RouteTable {
            proxy: proxy.clone(),
            ..Default::default()
        },
        drs: DrIndex::build(res, proxy),
        missing: HashMap::new(),
        tls_hosts: HashMap::new(),
    };
    cx.build_clusters();
    match proxy.kind {
        ProxyKind::Sidecar => cx.build_sidecar(),
        ProxyKind::Gateway => {
            cx.build_gateway();
            cx.build_gateway_api();
        }
    }
    (cx.table, cx.diags)
}

struct Cx<'a> {
    res: &'a Resources,
    reg: &'a Registry,
    proxy: &'a ProxyIdentity,
    diags: Vec<Diagnostic>,
    table: RouteTable,
    drs: DrIndex<'a>,
    /// Index of `table.missing_clusters`.
    missing: HashMap<String, u32>,
    /// Gateway: the SNI hosts TLS servers have claimed, by server port, with the server that
    /// claimed each (`gateway_tls::claim_tls_hosts`).
    tls_hosts: HashMap<u32, Vec<(String, String)>>,
}

impl Cx<'_> {
    /// Adds the listener `0.0.0.0_<port>` with its route configuration.
    fn push_listener(
        &mut self,
        port: u32,
        route_config_name: String,
        vhosts: Vec<VirtualHost>,
        server_ports: Vec<u32>,
        gateways: Vec<String>,
    ) {
        let t = &mut self.table;
        let rc = t.route_configs.len();
        t.route_configs
            .push(RouteConfig::new(route_config_name.clone(), vhosts));
        t.listener_index.insert(port, t.listeners.len());
        t.listeners.push(Listener {
            name: format!("0.0.0.0_{port}"),
            port,
            route_config: rc,
            route_config_name,
            server_ports,
            gateways,
            filter_chains: Vec::new(),
            plaintext: true,
        });
    }
}

/// A VirtualService after short-name resolution and delegate merging.
struct Vs<'a> {
    obj: &'a Object<VirtualService>,
    hosts: Vec<String>,
    gateways: Vec<String>,
    http: Vec<HttpRoute>,
    /// Translated from the Gateway API (Istio's `internal.istio.io/route-semantics: gateway`,
    /// `model.UseGatewaySemantics`): path-separated prefixes, 500 for a missing cluster.
    gateway_semantics: bool,
    /// Where each of `http` was written (parallel to it).
    origins: Vec<RuleOrigin>,
}

/// Where a (possibly merged) HTTP rule was written.
struct RuleOrigin {
    rule: RulePath,
    delegated_from: Option<RulePath>,
    /// For each match block of the merged rule, the block it came from.
    matches: Vec<(RulePath, usize)>,
}

impl RuleOrigin {
    /// A rule as written, not delegated.
    fn own(vs: &str, rule: usize, matches: usize) -> RuleOrigin {
        let path = RulePath {
            virtual_service: vs.to_string(),
            rule,
        };
        RuleOrigin {
            matches: (0..matches).map(|m| (path.clone(), m)).collect(),
            rule: path,
            delegated_from: None,
        }
    }
}

impl Vs<'_> {
    fn id(&self) -> String {
        format!("{}/{}", self.obj.meta.namespace, self.obj.meta.name)
    }
}

/// Creation order: creationTimestamp, then name, then namespace (`sortConfigByCreationTime`).
fn creation_key<T>(o: &Object<T>) -> (String, String, String) {
    (
        o.meta.creation_timestamp.clone().unwrap_or_default(),
        o.meta.name.clone(),
        o.meta.namespace.clone(),
    )
}
