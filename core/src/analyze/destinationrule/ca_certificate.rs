//! `destinationrule.CaCertificateAnalyzer`
//! (Istio: pkg/config/analysis/analyzers/destinationrule/ca-certificates.go).
//!
//! IST0128 / IST0129: client TLS mode SIMPLE or MUTUAL without `caCertificates`, at the
//! DestinationRule's top-level traffic policy or in a `portLevelSettings` entry: the server's
//! certificate is not verified. A `credentialName` counts as providing the CA only when the
//! DestinationRule has a `workloadSelector` (Istio's rule). Subset traffic policies are not
//! looked at, as in Istio.

use crate::analyze::msg;
use crate::analyze::util::full_name;
use crate::analyze::{Analyzer, Ctx};
use crate::diag::Diagnostic;
use crate::model::istio::{ClientTlsMode, ClientTlsSettings};

pub const ANALYZER: Analyzer = Analyzer {
    name: "destinationrule.CaCertificateAnalyzer",
    codes: &["IST0128", "IST0129"],
    run,
};

/// The mode name when it is SIMPLE or MUTUAL and no CA is given.
fn unverified(tls: Option<&ClientTlsSettings>, has_selector: bool) -> Option<&'static str> {
    let tls = tls?;
    let mode = tls.mode?;
    if !matches!(mode, ClientTlsMode::Simple | ClientTlsMode::Mutual) {
        return None;
    }
    let ca = tls.ca_certificates.as_deref().unwrap_or("");
    let cred = tls.credential_name.as_deref().unwrap_or("");
    // A credentialName supplies the CA only for a DestinationRule with a workloadSelector.
    let credential_has_ca = !cred.is_empty() && has_selector;
    (ca.is_empty() && !credential_has_ca).then_some(mode.as_str())
}

fn run(ctx: &Ctx, out: &mut Vec<Diagnostic>) {
    for dr in &ctx.res.destination_rules {
        let name = full_name(&dr.meta);
        let ns = dr.meta.namespace.as_str();
        let host = dr.spec.host.as_deref().unwrap_or("");
        let has_selector = dr.spec.workload_selector.is_some();
        let Some(tp) = dr.spec.traffic_policy.as_ref() else {
            continue;
        };
        if let Some(mode) = unverified(tp.tls.as_ref(), has_selector) {
            let m = msg::NO_SERVER_CERTIFICATE_VERIFICATION_DESTINATION_LEVEL;
            out.push(ctx.res.diag(
                dr,
                m.code,
                m.severity,
                "spec.trafficPolicy.tls.caCertificates",
                msg::no_server_certificate_verification_destination_level(&name, ns, mode, host),
            ));
        }
        for (i, p) in tp.port_level_settings.iter().enumerate() {
            if let Some(mode) = unverified(p.tls.as_ref(), has_selector) {
                // `PortSelector.String()` in protobuf text form.
                let port = match p.port.as_ref().and_then(|p| p.number) {
                    Some(n) if n != 0 => format!("number:{n}"),
                    _ => String::new(),
                };
                let m = msg::NO_SERVER_CERTIFICATE_VERIFICATION_PORT_LEVEL;
                out.push(ctx.res.diag(
                    dr,
                    m.code,
                    m.severity,
                    &format!("spec.trafficPolicy.portLevelSettings[{i}].tls.caCertificates"),
                    msg::no_server_certificate_verification_port_level(
                        &name, ns, mode, host, &port,
                    ),
                ));
            }
        }
    }
}
