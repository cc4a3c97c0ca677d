//! VirtualService analyzers (`pkg/config/analysis/analyzers/virtualservice/`).

use crate::model::istio::{Destination, VirtualService};

pub mod conflicting_mesh_gateway_hosts;
pub mod destination_hosts;
pub mod destination_rules;
pub mod gateways;

/// A destination with the path of its `destination` field (Istio: `AnnotatedDestination`,
/// virtualservice/util.go).
pub struct AnnotatedDestination<'a> {
    /// Path of the `Destination` message, e.g. `spec.http[0].route[1].destination`.
    pub path: String,
    /// `None` when the route has no `destination` (Go reads it as an empty host).
    pub destination: Option<&'a Destination>,
}

impl AnnotatedDestination<'_> {
    pub fn host(&self) -> &str {
        self.destination
            .and_then(|d| d.host.as_deref())
            .unwrap_or("")
    }
    pub fn subset(&self) -> &str {
        self.destination
            .and_then(|d| d.subset.as_deref())
            .unwrap_or("")
    }
    pub fn port(&self) -> Option<i64> {
        self.destination
            .and_then(|d| d.port.as_ref())
            .map(|p| p.number.unwrap_or(0))
    }
}

/// `getRouteDestinations`: tcp, then tls, then http route destinations.
pub fn route_destinations(vs: &VirtualService) -> Vec<AnnotatedDestination<'_>> {
    let mut out = Vec::new();
    for (i, r) in vs.tcp.iter().enumerate() {
        for (j, rd) in r.route.iter().enumerate() {
            out.push(AnnotatedDestination {
                path: format!("spec.tcp[{i}].route[{j}].destination"),
                destination: rd.destination.as_ref(),
            });
        }
    }
    for (i, r) in vs.tls.iter().enumerate() {
        for (j, rd) in r.route.iter().enumerate() {
            out.push(AnnotatedDestination {
                path: format!("spec.tls[{i}].route[{j}].destination"),
                destination: rd.destination.as_ref(),
            });
        }
    }
    for (i, r) in vs.http.iter().enumerate() {
        for (j, rd) in r.route.iter().enumerate() {
            out.push(AnnotatedDestination {
                path: format!("spec.http[{i}].route[{j}].destination"),
                destination: rd.destination.as_ref(),
            });
        }
    }
    out
}

/// `getHTTPMirrorDestinations`: `mirror` and `mirrors[]` of every http route.
pub fn mirror_destinations(vs: &VirtualService) -> Vec<AnnotatedDestination<'_>> {
    let mut out = Vec::new();
    for (i, r) in vs.http.iter().enumerate() {
        if let Some(m) = &r.mirror {
            out.push(AnnotatedDestination {
                path: format!("spec.http[{i}].mirror"),
                destination: Some(m),
            });
        }
        for (j, m) in r.mirrors.iter().enumerate() {
            out.push(AnnotatedDestination {
                path: format!("spec.http[{i}].mirrors[{j}].destination"),
                destination: m.destination.as_ref(),
            });
        }
    }
    out
}
