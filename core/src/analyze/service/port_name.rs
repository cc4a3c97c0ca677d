//! `service.PortNameAnalyzer` (Istio: pkg/config/analysis/analyzers/service/portname.go).
//!
//! - IST0118: a Service port's protocol cannot be told from its name or `appProtocol`
//!   (`<protocol>[-suffix]`), so Istio sniffs the protocol.
//! - IST0150: the same problem, or a port named exactly `tcp`, on an ExternalName Service.
//!
//! Skipped like in Istio: control-plane Services (label `istio`, or `release: istio`) and
//! Services managed by Istio's Gateway controller.

use crate::analyze::msg;
use crate::analyze::{Analyzer, Ctx};
use crate::decode::IntOrString;
use crate::diag::Diagnostic;

pub const ANALYZER: Analyzer = Analyzer {
    name: "service.PortNameAnalyzer",
    codes: &["IST0118", "IST0150"],
    run,
};

/// What `kube.ConvertProtocol` (pkg/config/kube/conversion.go) decides for a port.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PortProtocol {
    /// A protocol Istio knows (its name as `protocol.Instance`).
    Known(&'static str),
    /// `protocol.Unsupported`: Istio sniffs the protocol.
    Unsupported,
}

/// `protocol.Parse` (pkg/config/protocol/instance.go), case-insensitive.
fn parse_protocol(s: &str) -> PortProtocol {
    match s.to_ascii_lowercase().as_str() {
        "tcp" => PortProtocol::Known("TCP"),
        "udp" => PortProtocol::Known("UDP"),
        "grpc" => PortProtocol::Known("GRPC"),
        "grpc-web" => PortProtocol::Known("GRPC-Web"),
        "http" => PortProtocol::Known("HTTP"),
        "http_proxy" => PortProtocol::Known("HTTP_PROXY"),
        "http2" => PortProtocol::Known("HTTP2"),
        "https" => PortProtocol::Known("HTTPS"),
        "tls" => PortProtocol::Known("TLS"),
        "mongo" => PortProtocol::Known("Mongo"),
        "redis" => PortProtocol::Known("Redis"),
        "mysql" => PortProtocol::Known("MySQL"),
        _ => PortProtocol::Unsupported,
    }
}

/// `kube.ConvertProtocol`: UDP ports are UDP; else `appProtocol` (with the Kubernetes standard
/// names) or the port name up to the first `-`; well-known ports (SMTP, DNS, MySQL, MongoDB)
/// default to TCP.
pub fn convert_protocol(
    port: i64,
    name: &str,
    proto: Option<&str>,
    app_protocol: Option<&str>,
) -> PortProtocol {
    if proto == Some("UDP") {
        return PortProtocol::Known("UDP");
    }
    let mut name = name;
    if let Some(ap) = app_protocol {
        match ap {
            "kubernetes.io/h2c" => return PortProtocol::Known("HTTP2"),
            "kubernetes.io/ws" => return PortProtocol::Known("HTTP"),
            "kubernetes.io/wss" => return PortProtocol::Known("HTTPS"),
            _ => name = ap,
        }
    }
    if name.len() >= 8 && name.is_char_boundary(8) && name[..8].eq_ignore_ascii_case("grpc-web") {
        return PortProtocol::Known("GRPC-Web");
    }
    let prefix = name.split('-').next().unwrap_or("");
    match parse_protocol(prefix) {
        PortProtocol::Unsupported if matches!(port, 25 | 53 | 3306 | 27017) => {
            PortProtocol::Known("TCP")
        }
        p => p,
    }
}

fn run(ctx: &Ctx, out: &mut Vec<Diagnostic>) {
    for svc in &ctx.res.services {
        let labels = &svc.meta.labels;
        // util.IsIstioControlPlane
        if labels.contains_key("istio") || labels.get("release").is_some_and(|r| r == "istio") {
            continue;
        }
        if labels.get("gateway.istio.io/managed").is_some_and(|v| {
            matches!(
                v.as_str(),
                "istio.io-gateway-controller"
                    | "istio.io-mesh-controller"
                    | "istio.io-eastwest-controller"
            )
        }) {
            continue;
        }
        let external_name = svc.spec.service_type.as_deref() == Some("ExternalName");
        for (i, p) in svc.spec.ports.iter().enumerate() {
            let name = p.name.as_deref().unwrap_or("");
            let port = p.port.unwrap_or(0);
            let proto =
                convert_protocol(port, name, p.protocol.as_deref(), p.app_protocol.as_deref());
            if proto != PortProtocol::Unsupported && !(name == "tcp" && external_name) {
                continue;
            }
            let (m, text) = if external_name {
                (
                    msg::EXTERNAL_NAME_SERVICE_TYPE_INVALID_PORT_NAME,
                    msg::external_name_service_type_invalid_port_name(),
                )
            } else {
                // `IntOrString.String()`: an unset target port prints as 0.
                let target = match &p.target_port {
                    Some(IntOrString::Int(t)) => t.to_string(),
                    Some(IntOrString::Str(s)) => s.clone(),
                    None => "0".to_string(),
                };
                (
                    msg::PORT_NAME_IS_NOT_UNDER_NAMING_CONVENTION,
                    msg::port_name_is_not_under_naming_convention(name, port, &target),
                )
            };
            let path = if p.name.is_some() {
                format!("spec.ports[{i}].name")
            } else {
                format!("spec.ports[{i}]")
            };
            out.push(ctx.res.diag(svc, m.code, m.severity, &path, text));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn port_protocol_comes_from_the_name_prefix_or_app_protocol() {
        assert_eq!(
            convert_protocol(80, "http-web", None, None),
            PortProtocol::Known("HTTP")
        );
        assert_eq!(
            convert_protocol(80, "web", None, None),
            PortProtocol::Unsupported
        );
        assert_eq!(
            convert_protocol(80, "", None, None),
            PortProtocol::Unsupported
        );
        assert_eq!(
            convert_protocol(3306, "", None, None),
            PortProtocol::Known("TCP")
        );
        assert_eq!(
            convert_protocol(80, "web", None, Some("http")),
            PortProtocol::Known("HTTP")
        );
        assert_eq!(
            convert_protocol(80, "grpc-web-x", None, None),
            PortProtocol::Known("GRPC-Web")
        );
        assert_eq!(
            convert_protocol(80, "x", Some("UDP"), None),
            PortProtocol::Known("UDP")
        );
    }
}
