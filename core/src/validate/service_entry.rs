//! ServiceEntry and WorkloadEntry rules. Istio: pkg/config/validation/validation.go
//! `ValidateServiceEntry`, `ValidateWorkloadEntry`, `validateWorkloadEntry`,
//! `ValidateAlphaWorkloadSelector`; CRD CEL rules (`Address is required`, `UDS may not
//! include ports`, port ranges, port-name keys).

use super::common::*;
use super::virtual_service::{export_to, labels};
use super::{key, Sink};
use crate::model::istio::*;

pub(crate) fn validate_service_entry(s: &mut Sink, se: &ServiceEntry) {
    if let Some(ws) = &se.workload_selector {
        for (k, v) in &ws.labels {
            let p = key("spec.workloadSelector.labels", k);
            if k.is_empty() {
                s.err(
                    &p,
                    format!("empty key is not supported in selector: \"{k}={v}\""),
                );
            }
            if k.contains('*') || v.contains('*') {
                s.err(
                    &p,
                    format!("wildcard is not supported in selector: \"{k}={v}\""),
                );
            }
        }
        if ws.labels.is_empty() {
            s.warn(
                "spec.workloadSelector",
                "service entry: workload selector specified without labels, will be applied to all services in namespace",
            );
        }
        if !se.endpoints.is_empty() {
            s.err(
                "spec.endpoints",
                "only one of workloadSelector or endpoints is allowed in a service entry",
            );
        }
    }
    if se.hosts.is_empty() {
        s.err("spec", "a service entry must have at least one host");
    }
    let resolution = se.resolution.unwrap_or(SeResolution::None);
    for (i, h) in se.hosts.iter().enumerate() {
        let p = format!("spec.hosts[{i}]");
        if h == "*" {
            s.err(&p, "invalid host \"*\": a service entry cannot match every host; use a wildcard domain like \"*.example.com\"");
            continue;
        }
        s.check(&p, validate_wildcard_domain(h));
        if resolution != SeResolution::DynamicDns
            && h.contains('*')
            && h.len() != 1
            && !h.starts_with("*.")
        {
            s.warn(&p, format!("partial wildcard {h:?} is not allowed"));
        }
    }
    let mut cidr = false;
    for (i, a) in se.addresses.iter().enumerate() {
        cidr |= a.contains('/');
        s.check(&format!("spec.addresses[{i}]"), validate_ip_subnet(a));
    }
    if cidr && !matches!(resolution, SeResolution::None | SeResolution::Static) {
        s.err(
            "spec.resolution",
            "CIDR addresses are allowed only for NONE/STATIC resolution",
        );
    }
    let mut port_names: Vec<&str> = Vec::new();
    let mut port_numbers: Vec<i64> = Vec::new();
    for (i, port) in se.ports.iter().enumerate() {
        let p = format!("spec.ports[{i}]");
        if s.is_null(&p) {
            s.err(&p, "service entry port may not be null");
            continue;
        }
        let name = port.name.as_deref().unwrap_or("");
        let number = port.number.unwrap_or(0);
        if port_names.contains(&name) {
            s.err(
                &format!("{p}.name"),
                format!("service entry port name {name:?} is already defined"),
            );
        }
        port_names.push(name);
        if port_numbers.contains(&number) {
            s.err(
                &format!("{p}.number"),
                format!("service entry port {number} is already defined"),
            );
        }
        port_numbers.push(number);
        if let Some(t) = port.target_port {
            if t != 0 {
                s.check(&format!("{p}.targetPort"), validate_port(t));
            }
        }
        // TCP ports without addresses are IST0134 (the ServiceEntry analyzer), not repeated
        // here as a schema warning.
        if !is_dns1123_label(name) {
            s.err(
                &(if port.name.is_some() { format!("{p}.name") } else { p.clone() }),
                format!("invalid port name {name:?}: expected a DNS-1123 label like \"http\" or \"tcp-db\""),
            );
        }
        if let Some(proto) = port.protocol.as_deref() {
            if !proto.is_empty() && Protocol::parse(proto) == Protocol::Unsupported {
                s.err(
                    &format!("{p}.protocol"),
                    format!("unsupported protocol {proto:?}; expected HTTP, HTTPS, HTTP2, GRPC, GRPC-WEB, TLS, TCP, UDP, MONGO, REDIS or MYSQL (or empty for protocol sniffing)"),
                );
            }
        }
        s.check(
            &(if port.number.is_some() {
                format!("{p}.number")
            } else {
                p.clone()
            }),
            validate_port(number),
        );
    }
    match resolution {
        SeResolution::None => {
            if !se.endpoints.is_empty() {
                s.err(
                    "spec.endpoints",
                    "no endpoints should be provided for resolution NONE",
                );
            }
            if se.workload_selector.is_some() {
                s.warn(
                    "spec.workloadSelector",
                    "workloadSelector should not be set when resolution is NONE",
                );
            }
        }
        SeResolution::Static => {
            for (i, ep) in se.endpoints.iter().enumerate() {
                let p = format!("spec.endpoints[{i}]");
                if s.is_null(&p) {
                    s.err(&p, "endpoint cannot be null");
                    continue;
                }
                workload_entry(s, &p, ep, Some(&port_names), false);
            }
        }
        SeResolution::Dns | SeResolution::DnsRoundRobin => {
            if se.endpoints.is_empty() {
                for (i, h) in se.hosts.iter().enumerate() {
                    if let Err(e) = validate_fqdn(h) {
                        s.err(
                            &format!("spec.hosts[{i}]"),
                            format!(
                                "hosts must be FQDNs (no wildcards) if no endpoints are provided for resolution {}: {e}",
                                resolution.as_str()
                            ),
                        );
                        break;
                    }
                }
            }
            if resolution == SeResolution::DnsRoundRobin && se.endpoints.len() > 1 {
                s.err(
                    "spec.endpoints",
                    "there must be at most 1 endpoint for resolution DNS_ROUND_ROBIN",
                );
            }
            for (i, ep) in se.endpoints.iter().enumerate() {
                let p = format!("spec.endpoints[{i}]");
                if s.is_null(&p) {
                    s.err(&p, "endpoint cannot be null");
                    continue;
                }
                let addr = ep.address.as_deref().unwrap_or("");
                if !is_ip(addr) && validate_fqdn(addr).is_err() {
                    s.err(
                        &format!("{p}.address"),
                        format!("endpoint address {addr:?} is not a valid FQDN or an IP address"),
                    );
                }
                labels(s, &format!("{p}.labels"), &ep.labels);
                for (name, port) in &ep.ports {
                    let pp = key(&format!("{p}.ports"), name);
                    if !port_names.contains(&name.as_str()) {
                        s.err(&pp, format!("endpoint port {name:?} is not defined by the service entry's ports"));
                    }
                    if !is_dns1123_label(name) {
                        s.err(&pp, format!("invalid port name {name:?}"));
                    }
                    s.check(&pp, validate_port(*port));
                }
            }
            if !se.addresses.is_empty() && se.hosts.len() > 1 {
                let tcp = se
                    .ports
                    .iter()
                    .any(|p| Protocol::parse(p.protocol.as_deref().unwrap_or("")).is_tcp());
                if tcp {
                    s.warn(
                        "spec.hosts",
                        "a service entry should not have more than one host together with addresses and a TCP port",
                    );
                }
            }
        }
        SeResolution::DynamicDns => {
            for (i, h) in se.hosts.iter().enumerate() {
                if !h.starts_with('*') {
                    s.err(
                        &format!("spec.hosts[{i}]"),
                        "hosts must be wildcards (\"*.example.com\") for resolution DYNAMIC_DNS",
                    );
                }
            }
            if !se.addresses.is_empty() {
                s.err(
                    "spec.addresses",
                    "addresses cannot be set for resolution DYNAMIC_DNS; HTTP route domains come from hosts only",
                );
            }
            if !se.endpoints.is_empty() {
                s.err(
                    "spec.endpoints",
                    "endpoints cannot be set for resolution DYNAMIC_DNS; the destination address comes from the request host",
                );
            }
            for (i, p) in se.ports.iter().enumerate() {
                let proto = Protocol::parse(p.protocol.as_deref().unwrap_or(""));
                if !matches!(
                    proto,
                    Protocol::Http | Protocol::Tls | Protocol::Grpc | Protocol::Http2
                ) {
                    s.err(
                        &format!("spec.ports[{i}].protocol"),
                        "only HTTP, TLS, GRPC and HTTP2 ports are supported for resolution DYNAMIC_DNS",
                    );
                }
            }
            // Istio: validation.go `ValidateServiceEntry` (DYNAMIC_DNS) and `usesWaypoint`:
            // MESH_INTERNAL only without a waypoint, i.e. unless metadata.labels
            // `istio.io/use-waypoint` is set to something other than "" or "none" (any case).
            if se.location == Some(SeLocation::MeshInternal) {
                if let Some(w) = s.labels.get(USE_WAYPOINT).filter(|w| uses_waypoint(w)) {
                    s.err(
                        "spec.location",
                        format!("location MESH_INTERNAL with resolution DYNAMIC_DNS is not supported when using waypoints (metadata.labels {USE_WAYPOINT}: {w:?}); use MESH_EXTERNAL, or no waypoint"),
                    );
                }
            }
        }
    }
    // Several hosts and plain TCP: the proxy cannot tell the hosts apart (unless NONE).
    if resolution != SeResolution::None && se.hosts.len() > 1 {
        for (i, p) in se.ports.iter().enumerate() {
            let proto = Protocol::parse(p.protocol.as_deref().unwrap_or(""));
            if !proto.is_http() && !proto.is_tls() {
                s.err(
                    &format!("spec.ports[{i}]"),
                    "multiple hosts with a non-HTTP, non-TLS port: the proxy cannot tell the hosts apart; use one service entry per host or resolution NONE",
                );
                break;
            }
        }
    }
    export_to(s, &se.export_to, true, false);
}

/// The label that puts a resource behind a waypoint (Istio: `label.IoIstioUseWaypoint`).
const USE_WAYPOINT: &str = "istio.io/use-waypoint";

/// Istio: validation.go `usesWaypoint`: the label names a waypoint (not empty, not "none").
fn uses_waypoint(value: &str) -> bool {
    !value.is_empty() && !value.eq_ignore_ascii_case("none")
}

pub(crate) fn validate_workload_entry(s: &mut Sink, we: &WorkloadEntry) {
    workload_entry(s, "spec", we, None, true);
}

/// Istio: validation.go `validateWorkloadEntry` (plus CEL: port range and port-name keys).
fn workload_entry(
    s: &mut Sink,
    path: &str,
    we: &WorkloadEntry,
    service_ports: Option<&[&str]>,
    allow_fqdn: bool,
) {
    let addr = we.address.as_deref().unwrap_or("");
    if addr.is_empty() {
        if we.network.as_deref().unwrap_or("").is_empty() {
            s.err(
                path,
                "address is required (an IP, a DNS name or unix:///path), unless network is set",
            );
            return;
        }
        s.warn(
            path,
            format!(
                "address is unset with network {:?}",
                we.network.as_deref().unwrap_or("")
            ),
        );
    }
    let unix = addr.starts_with("unix://");
    if let Some(rest) = addr.strip_prefix("unix://") {
        s.check(&format!("{path}.address"), validate_unix_address(rest));
        if !we.ports.is_empty() {
            s.err(
                &format!("{path}.ports"),
                format!("unix endpoint {addr:?} must not include ports"),
            );
        }
    } else if !addr.is_empty() && !is_ip(addr) {
        if !allow_fqdn {
            s.err(
                &format!("{path}.address"),
                format!("endpoint address {addr:?} is not a valid IP address (resolution STATIC needs IPs)"),
            );
        } else if validate_fqdn(addr).is_err() {
            s.err(
                &format!("{path}.address"),
                format!("endpoint address {addr:?} is not a valid FQDN or an IP address"),
            );
        }
    }
    for (name, port) in &we.ports {
        let pp = key(&format!("{path}.ports"), name);
        if let Some(sp) = service_ports {
            if !sp.contains(&name.as_str()) {
                s.err(
                    &pp,
                    format!("endpoint port {name:?} is not defined by the service entry's ports"),
                );
            }
        }
        if !is_dns1123_label(name) {
            s.err(
                &pp,
                format!("invalid port name {name:?}: expected a DNS-1123 label"),
            );
        }
        s.check(&pp, validate_port(*port));
    }
    labels(s, &format!("{path}.labels"), &we.labels);
    if unix {
        if let Some(sp) = service_ports {
            if sp.len() != 1 {
                s.err(
                    path,
                    "exactly 1 service port is required for unix endpoints",
                );
            }
        }
    }
    if let Some(w) = we.weight {
        if !(0..=i64::from(u32::MAX)).contains(&w) {
            s.err(
                &format!("{path}.weight"),
                format!("weight must be in the range 0..4294967295, got {w}"),
            );
        }
    }
}
