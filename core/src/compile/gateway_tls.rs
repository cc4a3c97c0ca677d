//! Gateway TLS: a server's `tls` → the filter chain's TLS parameters and the certificates it
//! needs, as istiod builds them (pilot/pkg/networking/core/gateway.go `buildGatewayListenerTLSContext`,
//! pilot/pkg/networking/util `BuildListenerTLSContext`; secret names from
//! pilot/pkg/model/credentials: `kubernetes://NAME`, `-cacert`; file names `file-cert:`/`file-root:`)
//! and as the credential controller reads Secrets (pilot/pkg/credentials/kube/secrets.go
//! `extractKeyAndCert`, `extractRoot`: `tls.crt`/`tls.key`/`ca.crt` first, then the generic
//! `cert`/`key`/`cacert`).

use super::route::decode_base64;
use super::Cx;
use crate::diag::Severity;
use crate::model::istio::*;
use crate::model::kube::SecretSpec;
use crate::resources::Object;
use crate::table::*;

/// A TLS server's certificate cannot be used: `meshroute bootstrap` refuses the config (a
/// listener without its certificate would never serve, and Envoy would keep the old one).
pub const TLS_CREDENTIAL: &str = "MR0501";
/// Reserved: the TLS settings meshroute does not enforce (ISTIO_MUTUAL, AUTO_PASSTHROUGH,
/// caCrl, …) are MR0201 warnings from validate's one table (validate/enforcement.rs), which
/// also writes docs/FEATURES.md's rows; compile no longer repeats them.
pub const TLS_NOT_ENFORCED: &str = "MR0502";
/// A certificate chain, CA bundle or private key that is not PEM Envoy can use (error: refused
/// like [`TLS_CREDENTIAL`]), or a certificate file that cannot be read to check it (warning).
/// Checked by [`crate::certs::certificate_diagnostics`], outside compile: the filter does not
/// link the X.509 parser.
pub const TLS_BAD_CERTIFICATE: &str = "MR0503";
/// A private key that does not belong to its certificate (error: refused).
pub const TLS_KEY_MISMATCH: &str = "MR0504";
/// A certificate expired or not yet valid at the caller's "now" (warning, with the date).
pub const TLS_CERT_VALIDITY: &str = "MR0505";
/// A TLS server skipped because an earlier server on the same port already has one of its
/// hosts (warning; istiod skips it too: pilot/pkg/model/gateway.go `mergeGateways`).
pub const TLS_DUPLICATE_HOST: &str = "MR0506";

/// Istio's names for `minProtocolVersion`/`maxProtocolVersion` → Envoy's.
fn envoy_tls_version(v: &str) -> Option<&'static str> {
    match v {
        "TLSV1_0" => Some("TLSv1_0"),
        "TLSV1_1" => Some("TLSv1_1"),
        "TLSV1_2" => Some("TLSv1_2"),
        "TLSV1_3" => Some("TLSv1_3"),
        _ => None,
    }
}

/// The value of `key` in a Secret: `stringData` as written, `data` base64-decoded.
fn secret_value(s: &SecretSpec, key: &str) -> Option<String> {
    s.string_data
        .get(key)
        .cloned()
        .or_else(|| s.data.get(key).map(|v| decode_base64(v)))
        .filter(|v| !v.trim().is_empty())
}

fn is_pem(text: &str, label: &str) -> bool {
    text.contains(&format!("-----BEGIN {label}"))
}

impl<'a> Cx<'a> {
    fn find_secret(&self, name: &str) -> Option<&'a Object<SecretSpec>> {
        // The Secret lives beside the gateway deployment (the proxy's namespace), as Istio's
        // credential controller reads it.
        self.res
            .secrets
            .iter()
            .find(|s| s.meta.name == name && s.meta.namespace == self.proxy.namespace)
    }

    fn add_secret(&mut self, name: String, data: SecretData, source: String) {
        if !self.table.secrets.iter().any(|s| s.name == name) {
            self.table.secrets.push(TlsSecret { name, data, source });
        }
    }

    /// A certificate (and, for MUTUAL / OPTIONAL_MUTUAL, its CA) from the Secret `name` in the
    /// proxy's namespace, as their SDS names; None with an MR0501 error at `path.field` of `obj`.
    pub(super) fn secret_credential<T>(
        &mut self,
        obj: &Object<T>,
        path: &str,
        field: &str,
        name: &str,
        mode: TlsMode,
    ) -> Option<(String, Option<String>)> {
        let fail = |cx: &mut Self, field: &str, msg: String| {
            cx.diags.push(cx.res.diag(
                obj,
                TLS_CREDENTIAL,
                Severity::Error,
                &format!("{path}.{field}"),
                msg,
            ));
        };
        let needs_ca = mode != TlsMode::Simple;
        let Some(secret) = self.find_secret(name) else {
            fail(self, field, format!("Secret {}/{name} not found: the gateway deployment's namespace must hold it (kubernetes.io/tls with tls.crt and tls.key, or cert and key)", self.proxy.namespace));
            return None;
        };
        let s = &secret.spec;
        let chain = secret_value(s, "tls.crt").or_else(|| secret_value(s, "cert"));
        let key = secret_value(s, "tls.key").or_else(|| secret_value(s, "key"));
        let (Some(chain), Some(key)) = (chain, key) else {
            fail(self, field, format!("Secret {}/{name} has no certificate and key: a TLS Secret needs tls.crt and tls.key (or cert and key)", self.proxy.namespace));
            return None;
        };
        if !is_pem(&chain, "CERTIFICATE") || !is_pem(&key, "") || !key.contains("PRIVATE KEY") {
            fail(self, field, format!("Secret {}/{name}: tls.crt must be a PEM certificate and tls.key a PEM private key", self.proxy.namespace));
            return None;
        }
        let cert_name = format!("kubernetes://{name}");
        let source = format!("Secret {}/{name}", self.proxy.namespace);
        self.add_secret(
            cert_name.clone(),
            SecretData::Certificate { chain, key },
            source.clone(),
        );
        let ca = if needs_ca {
            // The CA: in the same Secret (ca.crt / cacert), else the NAME-cacert Secret.
            let own = secret_value(s, "ca.crt").or_else(|| secret_value(s, "cacert"));
            let other = || {
                self.find_secret(&format!("{name}-cacert")).and_then(|c| {
                    secret_value(&c.spec, "ca.crt").or_else(|| secret_value(&c.spec, "cacert"))
                })
            };
            let Some(pem) = own.or_else(other) else {
                fail(self, "mode", format!("{mode:?} needs a CA: Secret {}/{name} has no ca.crt (or cacert), and there is no Secret {name}-cacert", self.proxy.namespace));
                return None;
            };
            let ca_name = format!("kubernetes://{name}-cacert");
            self.add_secret(ca_name.clone(), SecretData::Ca { pem }, source);
            Some(ca_name)
        } else {
            None
        };
        Some((cert_name, ca))
    }

    /// The server's TLS, resolved, or None (with an error diagnostic) when its certificate
    /// cannot be had.
    pub(super) fn server_tls(&mut self, g: &'a Object<Gateway>, si: usize) -> Option<ServerTls> {
        let tls = g.spec.servers[si].tls.as_ref()?;
        let path = format!("spec.servers[{si}].tls");
        let mode = match tls.mode {
            Some(ServerTlsMode::Simple) => TlsMode::Simple,
            Some(ServerTlsMode::Mutual) => TlsMode::Mutual,
            Some(ServerTlsMode::OptionalMutual) => TlsMode::OptionalMutual,
            _ => return None,
        };
        if !self.claim_tls_hosts(g, si) {
            return None;
        }
        let fail = |cx: &mut Self, field: &str, msg: String| {
            cx.diags.push(cx.res.diag(
                g,
                TLS_CREDENTIAL,
                Severity::Error,
                &format!("{path}.{field}"),
                msg,
            ));
        };
        let needs_ca = mode != TlsMode::Simple;
        let (certificate, ca) = if let Some(name) = tls.credential_name.as_deref() {
            self.secret_credential(g, &path, "credentialName", name, mode)?
        } else {
            let (Some(cert), Some(key)) = (tls.server_certificate.clone(), tls.private_key.clone())
            else {
                let lists = !tls.credential_names.is_empty() || !tls.tls_certificates.is_empty();
                fail(
                    self,
                    "credentialName",
                    format!(
                        "a TLS server needs credentialName, or serverCertificate and privateKey{}",
                        if lists {
                            " (meshroute does not read credentialNames or tlsCertificates)"
                        } else {
                            ""
                        }
                    ),
                );
                return None;
            };
            let cert_name = format!("file-cert:{cert}~{key}");
            self.add_secret(
                cert_name.clone(),
                SecretData::CertificateFiles {
                    chain: cert.clone(),
                    key,
                },
                format!("file {cert}"),
            );
            let ca = match (needs_ca, tls.ca_certificates.clone()) {
                (false, _) => None,
                (true, Some(path)) => {
                    let ca_name = format!("file-root:{path}");
                    self.add_secret(
                        ca_name.clone(),
                        SecretData::CaFile { path: path.clone() },
                        format!("file {path}"),
                    );
                    Some(ca_name)
                }
                (true, None) => {
                    fail(self, "caCertificates", format!("{mode:?} needs caCertificates (or a credentialName Secret with ca.crt)"));
                    return None;
                }
            };
            (cert_name, ca)
        };
        // caCrl, credentialNames, tlsCertificates …: MR0201 warnings, from validate's single
        // table of what is not enforced (validate/enforcement.rs).
        Some(ServerTls {
            mode,
            certificate,
            ca,
            // Istio's gateway default minimum is TLS 1.2 (tls_params in BuildListenerTLSContext).
            min_version: tls
                .min_protocol_version
                .as_deref()
                .and_then(envoy_tls_version)
                .or(Some("TLSv1_2")),
            max_version: tls
                .max_protocol_version
                .as_deref()
                .and_then(envoy_tls_version),
            cipher_suites: tls.cipher_suites.clone(),
            subject_alt_names: tls.subject_alt_names.clone(),
            verify_spki: tls.verify_certificate_spki.clone(),
            verify_hash: tls.verify_certificate_hash.clone(),
        })
    }
}

impl<'a> Cx<'a> {
    /// Istio's `CheckDuplicates` (pilot/pkg/model/gateway.go `mergeGateways`): a TLS server one
    /// of whose hosts an earlier TLS server on the same port already has is skipped whole (the
    /// earlier server keeps the host), because Envoy refuses a listener with two filter chains
    /// matching the same SNI. Gateways are visited in creation order, servers as written.
    /// Unlike Istio, hosts are compared as SNI names (namespace dropped, lower case) and
    /// whatever their `bind` (meshroute gives every server on a port one listener), so that no
    /// two chains of a listener ever match the same name. Keyed by the server port (Istio: the
    /// port it resolves to, the same for every Service but one mapping two ports to one
    /// targetPort). Returns whether the server keeps its hosts.
    pub(super) fn claim_tls_hosts(&mut self, g: &Object<Gateway>, si: usize) -> bool {
        let server = &g.spec.servers[si];
        let port = server
            .port
            .as_ref()
            .and_then(|p| p.number)
            .and_then(|n| u32::try_from(n).ok())
            .unwrap_or(0);
        let mut names: Vec<String> = Vec::new();
        for h in &server.hosts {
            let n = crate::host::split_server_host(h).1.to_ascii_lowercase();
            if !names.contains(&n) {
                names.push(n);
            }
        }
        let known = self.tls_hosts.entry(port).or_default();
        let dups: Vec<String> = names
            .iter()
            .filter_map(|n| {
                known
                    .iter()
                    .find(|(k, _)| k == n)
                    .map(|(k, owner)| format!("{k} ({owner})"))
            })
            .collect();
        if dups.is_empty() {
            let owner = format!(
                "Gateway {}/{} spec.servers[{si}]",
                g.meta.namespace, g.meta.name
            );
            known.extend(names.into_iter().map(|n| (n, owner.clone())));
            return true;
        }
        self.diags.push(self.res.diag(
            g,
            TLS_DUPLICATE_HOST,
            Severity::Warning,
            &format!("spec.servers[{si}].hosts"),
            format!(
                "this TLS server on port {port} is skipped, as istiod skips it: an earlier TLS server on the port already has {}",
                dups.join(", ")
            ),
        ));
        false
    }
}

/// SNI names for a server's hosts: the names without their namespace; none (any SNI) when a
/// host is `*` (gateway.go `getSNIHostsForServer`).
pub(super) fn sni_hosts(hosts: &[String]) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for h in hosts {
        let (_, name) = crate::host::split_server_host(h);
        if name == "*" {
            return Vec::new();
        }
        let n = name.to_ascii_lowercase();
        if !out.contains(&n) {
            out.push(n);
        }
    }
    out
}

#[cfg(all(test, feature = "certs"))]
mod tests;
