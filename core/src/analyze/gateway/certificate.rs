//! `gateway.CertificateAnalyzer`
//! (Istio: pkg/config/analysis/analyzers/gateway/certificate.go).
//!
//! IST0138: two Gateways whose selectors overlap (this gateway's selector is a subset of the
//! other's, or empty) terminate TLS with the same certificate (same `credentialName`, or same
//! `serverCertificate` and `privateKey`). Browsers reuse an HTTP/2 connection for every host of
//! a certificate, and the second gateway's hosts then get 404s. One message per pair of servers.
//! Istio's `PILOT_SCOPE_GATEWAY_TO_NAMESPACE` is off by default, so namespaces do not matter.

use crate::analyze::msg;
use crate::analyze::util::full_name;
use crate::analyze::{Analyzer, Ctx};
use crate::diag::Diagnostic;
use crate::model::istio::ServerTlsSettings;
use std::collections::BTreeMap;

pub const ANALYZER: Analyzer = Analyzer {
    name: "gateway.CertificateAnalyzer",
    codes: &["IST0138"],
    run,
};

/// `selectorSubset`: every key of `x` is in `y` with the same value.
fn selector_subset(x: &BTreeMap<String, String>, y: &BTreeMap<String, String>) -> bool {
    x.iter().all(|(k, v)| y.get(k) == Some(v))
}

/// `haveSameCertificate`.
fn same_certificate(a: &ServerTlsSettings, b: &ServerTlsSettings) -> bool {
    let s = |o: &Option<String>| o.clone().unwrap_or_default();
    let (ca, cb) = (s(&a.credential_name), s(&b.credential_name));
    if !ca.is_empty() && !cb.is_empty() {
        return ca == cb;
    }
    if ca.is_empty() && cb.is_empty() {
        let (sa, sb) = (s(&a.server_certificate), s(&b.server_certificate));
        if !sa.is_empty() && sa == sb {
            let (ka, kb) = (s(&a.private_key), s(&b.private_key));
            return !ka.is_empty() && !kb.is_empty() && ka == kb;
        }
    }
    false
}

fn run(ctx: &Ctx, out: &mut Vec<Diagnostic>) {
    for current in &ctx.res.gateways {
        let current_name = full_name(&current.meta);
        for other in &ctx.res.gateways {
            if !selector_subset(&current.spec.selector, &other.spec.selector) {
                continue;
            }
            let other_name = full_name(&other.meta);
            if other_name == current_name {
                continue;
            }
            for (i, cs) in current.spec.servers.iter().enumerate() {
                for os in &other.spec.servers {
                    let (Some(ct), Some(ot)) = (cs.tls.as_ref(), os.tls.as_ref()) else {
                        continue;
                    };
                    if same_certificate(ct, ot) {
                        let field = if ct.credential_name.as_deref().unwrap_or("").is_empty() {
                            "serverCertificate"
                        } else {
                            "credentialName"
                        };
                        let m = msg::GATEWAY_DUPLICATE_CERTIFICATE;
                        out.push(ctx.res.diag(
                            current,
                            m.code,
                            m.severity,
                            &format!("spec.servers[{i}].tls.{field}"),
                            msg::gateway_duplicate_certificate(&[
                                current_name.clone(),
                                other_name.clone(),
                            ]),
                        ));
                    }
                }
            }
        }
    }
}
