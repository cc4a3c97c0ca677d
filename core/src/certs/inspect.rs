//! The certificates a compiled table's listeners use, inspected: what `proxy-config secret`
//! shows and what the certificate diagnostics say. A Secret's PEM is in the table; a file named
//! by `serverCertificate`/`privateKey`/`caCertificates` is read by the caller (the CLI reads it,
//! the browser cannot) and handed in as bytes, so this stays free of I/O. "now" is the caller's
//! too (CLI: the system clock, browser: `Date.now()`).

use super::{key_matches, parse_certificates, CertInfo, KeyMatch};
use crate::compile::{TLS_BAD_CERTIFICATE, TLS_CERT_VALIDITY, TLS_CREDENTIAL, TLS_KEY_MISMATCH};
use crate::diag::{Diagnostic, Severity};
use crate::resources::Resources;
use crate::table::{RouteTable, SecretData, TlsSecret};
use std::collections::BTreeMap;

/// File contents by path, as the caller read them (`Err`: why it could not). A path missing
/// from the map was not read (the browser).
pub type FileContents = BTreeMap<String, Result<Vec<u8>, String>>;

/// The files the table's certificates name (certificate chains, keys, CA bundles), each once.
pub fn secret_files(t: &RouteTable) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for s in &t.secrets {
        let paths: Vec<&String> = match &s.data {
            SecretData::CertificateFiles { chain, key } => vec![chain, key],
            SecretData::CaFile { path } => vec![path],
            _ => Vec::new(),
        };
        for p in paths {
            if !out.contains(p) {
                out.push(p.clone());
            }
        }
    }
    out
}

/// What is wrong with a certificate, or what could not be looked at.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Problem {
    /// The chain or bundle is not PEM certificates (Envoy refuses the secret).
    BadCertificate(String),
    /// The private key is not one Envoy reads.
    BadKey(String),
    /// The private key is not the certificate's.
    KeyDiffers,
    /// A file the caller could not read.
    Unreadable { path: String, error: String },
    /// A file the caller did not read (the browser reads no files).
    NotRead { path: String },
}

impl Problem {
    /// Whether Envoy cannot use the secret (istioctl's WARMING).
    pub fn unusable(&self) -> bool {
        !matches!(self, Problem::NotRead { .. })
    }
}

/// One secret, inspected.
#[derive(Debug, Clone)]
pub struct Inspection<'t> {
    pub secret: &'t TlsSecret,
    /// The chain (leaf first) or the CA bundle; empty when it could not be parsed or read.
    pub certificates: Vec<CertInfo>,
    /// Cert Chain: whether the key belongs to the leaf (None: not compared).
    pub key: Option<KeyMatch>,
    pub problems: Vec<Problem>,
}

impl Inspection<'_> {
    /// `Cert Chain` or `CA`, as istioctl types secrets.
    pub fn kind(&self) -> &'static str {
        match self.secret.data {
            SecretData::Certificate { .. } | SecretData::CertificateFiles { .. } => "Cert Chain",
            SecretData::Ca { .. } | SecretData::CaFile { .. } => "CA",
        }
    }
}

fn bytes<'f>(files: &'f FileContents, path: &str, problems: &mut Vec<Problem>) -> Option<&'f [u8]> {
    match files.get(path) {
        Some(Ok(b)) => Some(b),
        Some(Err(e)) => {
            problems.push(Problem::Unreadable {
                path: path.into(),
                error: e.clone(),
            });
            None
        }
        None => {
            problems.push(Problem::NotRead { path: path.into() });
            None
        }
    }
}

/// Parses a secret's certificates and compares its key.
pub fn inspect<'t>(secret: &'t TlsSecret, files: &FileContents) -> Inspection<'t> {
    let mut problems = Vec::new();
    let (chain, key): (Option<&[u8]>, Option<&[u8]>) = match &secret.data {
        SecretData::Certificate { chain, key } => (Some(chain.as_bytes()), Some(key.as_bytes())),
        SecretData::Ca { pem } => (Some(pem.as_bytes()), None),
        SecretData::CertificateFiles { chain, key } => (
            bytes(files, chain, &mut problems),
            bytes(files, key, &mut problems),
        ),
        SecretData::CaFile { path } => (bytes(files, path, &mut problems), None),
    };
    let certificates = match chain.map(parse_certificates) {
        Some(Ok(c)) => c,
        Some(Err(e)) => {
            problems.push(Problem::BadCertificate(e.to_string()));
            Vec::new()
        }
        None => Vec::new(),
    };
    let key = match (certificates.first(), key) {
        (Some(leaf), Some(k)) => {
            let m = key_matches(leaf, k);
            match &m {
                KeyMatch::Differs => problems.push(Problem::KeyDiffers),
                KeyMatch::BadKey(why) => problems.push(Problem::BadKey(why.clone())),
                _ => {}
            }
            Some(m)
        }
        _ => None,
    };
    Inspection {
        secret,
        certificates,
        key,
        problems,
    }
}

/// Every secret of the table, inspected, in the table's order.
pub fn inspect_all<'t>(t: &'t RouteTable, files: &FileContents) -> Vec<Inspection<'t>> {
    t.secrets.iter().map(|s| inspect(s, files)).collect()
}

/// The certificate diagnostics of a compiled table, each on the Gateway server that uses the
/// certificate (file, line, Gateway and server index; the message names the Secret or file):
/// a chain or key that is not PEM Envoy reads (TLS_BAD_CERTIFICATE, error), a key that is not
/// the certificate's (TLS_KEY_MISMATCH, error), a file the caller could not read (warning), and
/// with `now` (Unix seconds) a certificate outside its validity period (TLS_CERT_VALIDITY,
/// warning with the date: Envoy still serves it, clients refuse it).
pub fn certificate_diagnostics(
    res: &Resources,
    t: &RouteTable,
    files: &FileContents,
    now: Option<i64>,
) -> Vec<Diagnostic> {
    let inspected = inspect_all(t, files);
    let mut out = Vec::new();
    for chain in t.listeners.iter().flat_map(|l| &l.filter_chains) {
        let Some(g) = res
            .gateways
            .iter()
            .find(|g| format!("{}/{}", g.meta.namespace, g.meta.name) == chain.gateway)
        else {
            continue;
        };
        let by_files = g.spec.servers[chain.server]
            .tls
            .as_ref()
            .is_some_and(|t| t.credential_name.is_none());
        let base = format!("spec.servers[{}].tls", chain.server);
        let names = std::iter::once((&chain.tls.certificate, false))
            .chain(chain.tls.ca.iter().map(|c| (c, true)));
        for (name, is_ca) in names {
            let Some(i) = inspected.iter().find(|i| i.secret.name == *name) else {
                continue;
            };
            let src = format!("{} ({name})", i.secret.source);
            let what = if is_ca {
                format!("the CA bundle of {src}")
            } else {
                format!("the certificate chain of {src}")
            };
            let field = |key: bool| match (by_files, is_ca, key) {
                (false, _, _) => "credentialName",
                (true, true, _) => "caCertificates",
                (true, false, false) => "serverCertificate",
                (true, false, true) => "privateKey",
            };
            let mut push = |code: &str, sev: Severity, key: bool, msg: String| {
                out.push(res.diag(g, code, sev, &format!("{base}.{}", field(key)), msg));
            };
            for p in &i.problems {
                match p {
                    Problem::BadCertificate(why) => push(
                        TLS_BAD_CERTIFICATE,
                        Severity::Error,
                        false,
                        format!("{what} is not PEM certificates Envoy can use: {why}"),
                    ),
                    Problem::BadKey(why) => push(
                        TLS_BAD_CERTIFICATE,
                        Severity::Error,
                        true,
                        format!("the private key of {src} cannot be used: {why}"),
                    ),
                    Problem::KeyDiffers => push(
                        TLS_KEY_MISMATCH,
                        Severity::Error,
                        true,
                        format!(
                            "the private key of {src} does not belong to its certificate ({}): Envoy refuses the pair",
                            i.certificates.first().map(|c| c.subject.as_str()).unwrap_or("?")
                        ),
                    ),
                    Problem::Unreadable { path, error } => {
                        let is_key = matches!(&i.secret.data, SecretData::CertificateFiles { key, .. } if key == path);
                        push(
                            TLS_BAD_CERTIFICATE,
                            Severity::Warning,
                            is_key,
                            format!("{path} cannot be read here ({error}): not checked; Envoy must be able to read it"),
                        )
                    }
                    Problem::NotRead { .. } => {}
                }
            }
            let Some(now) = now else { continue };
            for c in &i.certificates {
                let (when, verb) = if now > c.not_after {
                    (c.not_after, "expired on")
                } else if now < c.not_before {
                    (c.not_before, "is not valid before")
                } else {
                    continue;
                };
                push(
                    TLS_CERT_VALIDITY,
                    Severity::Warning,
                    false,
                    format!(
                        "certificate {} (serial {}) in {what} {verb} {}: Envoy serves it, clients refuse it",
                        c.subject,
                        c.serial,
                        super::format_time(when)
                    ),
                );
            }
        }
    }
    out
}

/// Whether `meshroute bootstrap` (and the browser's Envoy tab) refuses a configuration for this
/// diagnostic: a certificate Envoy cannot be given (TLS_CREDENTIAL), one that is not a
/// certificate, or a key that is not its certificate's. Envoy would otherwise refuse the
/// secret and keep the listener warming.
pub fn refuses(d: &Diagnostic) -> bool {
    d.severity == Severity::Error
        && [TLS_CREDENTIAL, TLS_BAD_CERTIFICATE, TLS_KEY_MISMATCH].contains(&d.code.as_str())
}
