//! Istio's analyzer messages: code, level and text, as in
//! `pkg/config/analysis/msg/messages.yaml` (templates use Go's `%q` and `%v`).

use crate::diag::Severity;

/// A message type: its code and level.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Msg {
    pub code: &'static str,
    pub severity: Severity,
}

const fn m(code: &'static str, severity: Severity) -> Msg {
    Msg { code, severity }
}

pub const DEPRECATED: Msg = m("IST0002", Severity::Warning);
pub const REFERENCED_RESOURCE_NOT_FOUND: Msg = m("IST0101", Severity::Error);
pub const CONFLICTING_MESH_GATEWAY_VIRTUAL_SERVICE_HOSTS: Msg = m("IST0109", Severity::Error);
pub const VIRTUAL_SERVICE_DESTINATION_PORT_SELECTOR_REQUIRED: Msg = m("IST0112", Severity::Error);
pub const PORT_NAME_IS_NOT_UNDER_NAMING_CONVENTION: Msg = m("IST0118", Severity::Info);
pub const NO_SERVER_CERTIFICATE_VERIFICATION_DESTINATION_LEVEL: Msg =
    m("IST0128", Severity::Warning);
pub const NO_SERVER_CERTIFICATE_VERIFICATION_PORT_LEVEL: Msg = m("IST0129", Severity::Warning);
pub const VIRTUAL_SERVICE_UNREACHABLE_RULE: Msg = m("IST0130", Severity::Warning);
pub const VIRTUAL_SERVICE_INEFFECTIVE_MATCH: Msg = m("IST0131", Severity::Info);
pub const VIRTUAL_SERVICE_HOST_NOT_FOUND_IN_GATEWAY: Msg = m("IST0132", Severity::Warning);
pub const SERVICE_ENTRY_ADDRESSES_REQUIRED: Msg = m("IST0134", Severity::Warning);
pub const GATEWAY_DUPLICATE_CERTIFICATE: Msg = m("IST0138", Severity::Warning);
pub const INGRESS_ROUTE_RULES_NOT_AFFECTED: Msg = m("IST0140", Severity::Warning);
pub const CONFLICTING_GATEWAYS: Msg = m("IST0145", Severity::Error);
pub const EXTERNAL_NAME_SERVICE_TYPE_INVALID_PORT_NAME: Msg = m("IST0150", Severity::Warning);
pub const GATEWAY_PORT_NOT_DEFINED_ON_SERVICE: Msg = m("IST0162", Severity::Warning);
pub const REFERENCED_INTERNAL_GATEWAY: Msg = m("IST0165", Severity::Warning);
pub const DESTINATION_RULE_SUBSET_NOT_SELECT_PODS: Msg = m("IST0173", Severity::Error);
pub const UNKNOWN_DESTINATION_RULE_HOST: Msg = m("IST0174", Severity::Warning);
pub const CONFLICTING_SERVICE_ENTRY_PROTOCOL: Msg = m("IST0177", Severity::Warning);

/// Go's `%q` for a string: double-quoted with Go escapes.
pub fn q(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x20 || c == '\u{7f}' => {
                out.push_str(&format!("\\x{:02x}", c as u32));
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// Go's `%v` for a slice: `[a b c]`.
pub fn v<T: std::fmt::Display>(items: &[T]) -> String {
    let parts: Vec<String> = items.iter().map(|i| i.to_string()).collect();
    format!("[{}]", parts.join(" "))
}

pub fn deprecated(detail: &str) -> String {
    format!("Deprecated: {detail}")
}

pub fn referenced_resource_not_found(reftype: &str, refval: &str) -> String {
    format!("Referenced {reftype} not found: {}", q(refval))
}

pub fn conflicting_mesh_gateway_virtual_service_hosts(
    virtual_services: &str,
    host: &str,
) -> String {
    format!(
        "The VirtualServices {virtual_services} associated with mesh gateway define the same host \
         {host} which can lead to undefined behavior. This can be fixed by merging the conflicting \
         VirtualServices into a single resource."
    )
}

pub fn virtual_service_destination_port_selector_required(host: &str, ports: &[i64]) -> String {
    format!(
        "This VirtualService routes to a service {} that exposes multiple ports {}. Specifying a \
         port in the destination is required to disambiguate.",
        q(host),
        v(ports)
    )
}

pub fn port_name_is_not_under_naming_convention(name: &str, port: i64, target: &str) -> String {
    format!(
        "Port name {name} (port: {port}, targetPort: {target}) doesn't follow the naming \
         convention of Istio port."
    )
}

pub fn no_server_certificate_verification_destination_level(
    dr: &str,
    ns: &str,
    mode: &str,
    host: &str,
) -> String {
    format!(
        "DestinationRule {dr} in namespace {ns} has TLS mode set to {mode} but no caCertificates \
         are set to validate server identity for host: {host}"
    )
}

pub fn no_server_certificate_verification_port_level(
    dr: &str,
    ns: &str,
    mode: &str,
    host: &str,
    port: &str,
) -> String {
    format!(
        "DestinationRule {dr} in namespace {ns} has TLS mode set to {mode} but no caCertificates \
         are set to validate server identity for host: {host} at port {port}"
    )
}

pub fn virtual_service_unreachable_rule(ruleno: &str, reason: &str) -> String {
    format!("VirtualService rule {ruleno} not used ({reason}).")
}

pub fn virtual_service_ineffective_match(ruleno: &str, matchno: &str, dupno: &str) -> String {
    format!(
        "VirtualService rule {ruleno} match {matchno} is not used (duplicate/overlapping match in \
         rule {dupno})."
    )
}

pub fn virtual_service_host_not_found_in_gateway(hosts: &[String], vs: &str, gw: &str) -> String {
    format!(
        "one or more host {} defined in VirtualService {vs} not found in Gateway {gw}.",
        v(hosts)
    )
}

pub fn service_entry_addresses_required() -> String {
    "ServiceEntry addresses are required for this protocol.".to_string()
}

pub fn gateway_duplicate_certificate(gateways: &[String]) -> String {
    format!(
        "Duplicate certificate in multiple gateways {} may cause 404s if clients re-use HTTP2 \
         connections.",
        v(gateways)
    )
}

pub fn ingress_route_rules_not_affected(subset_vs: &str, vs: &str) -> String {
    format!("Subset in virtual service {subset_vs} has no effect on ingress gateway {vs} requests")
}

pub fn conflicting_gateways(gateways: &str, selector: &str, port: &str, hosts: &str) -> String {
    format!("Conflict with gateways {gateways} (workload selector {selector}, port {port}, hosts {hosts}).")
}

pub fn external_name_service_type_invalid_port_name() -> String {
    "Port name for ExternalName service is invalid. Proxy may prevent tcp named ports and \
     unmatched traffic for ports serving TCP protocol from being forwarded correctly"
        .to_string()
}

pub fn gateway_port_not_defined_on_service(port: i64, selector: &str) -> String {
    format!(
        "The gateway is listening on a target port (port {port}) that is not defined in the \
         Service associated with its workload instances (Pod selector {selector}). If you need to \
         access the gateway port through the gateway Service, it will not be available."
    )
}

pub fn referenced_internal_gateway(vs: &str, gw: &str) -> String {
    format!(
        "Gateway reference in VirtualService {vs} is to an implementation-generated internal \
         Gateway: {gw}."
    )
}

pub fn destination_rule_subset_not_select_pods(subset: &str) -> String {
    format!(
        "The Subset {subset} defined in the DestinationRule does not select any pods. Which may \
         lead to 503 UH (NoHealthyUpstream)."
    )
}

pub fn unknown_destination_rule_host(host: &str) -> String {
    format!(
        "The host {host} defined in the DestinationRule does not match any services in the mesh."
    )
}

pub fn conflicting_service_entry_protocol(
    names: &str,
    host: &str,
    port: i64,
    protocols: &str,
) -> String {
    format!(
        "Multiple ServiceEntries ({names}) define the same host {} and port {port} with \
         conflicting protocols ({protocols}).",
        q(host)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn go_quoting_and_slices_print_like_fmt() {
        assert_eq!(q("a\"b"), "\"a\\\"b\"");
        assert_eq!(v(&[9080, 9090]), "[9080 9090]");
        assert_eq!(
            referenced_resource_not_found("host", "reviews"),
            "Referenced host not found: \"reviews\""
        );
    }
}
