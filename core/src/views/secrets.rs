//! `istioctl proxy-config secret`: one row per certificate or CA bundle the listeners use
//! (istioctl/pkg/writer/envoy/sds: RESOURCE NAME, TYPE, STATUS, VALID CERT, SERIAL NUMBER,
//! NOT AFTER, NOT BEFORE), plus the SHA-256 fingerprint. Never a key or a whole certificate.
//!
//! STATUS is `ACTIVE` when Envoy can use the secret, `WARMING` when it cannot (not PEM
//! certificates, a key that is not the certificate's, a file that cannot be read): Envoy
//! keeps such a listener warming. `UNKNOWN`: a file the caller did not read (the browser).
//! VALID CERT says whether "now" (the caller's) lies inside the certificate's validity.

use super::render_table;
use crate::certs::{format_time, inspect_all, FileContents, KeyMatch, Problem};
use crate::table::*;
use serde::Serialize;

/// One row of `proxy-config secret`.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SecretRow {
    /// The SDS name: `kubernetes://NAME`, `kubernetes://NAME-cacert`, `file-cert:CERT~KEY`,
    /// `file-root:CA`.
    pub resource_name: String,
    /// `Cert Chain` or `CA`.
    #[serde(rename = "type")]
    pub type_: &'static str,
    /// `ACTIVE`, `WARMING` or `UNKNOWN`.
    pub status: &'static str,
    pub valid_cert: bool,
    /// Of the chain's leaf (or the bundle's first CA); empty when unparsed.
    pub serial_number: String,
    pub not_after: String,
    pub not_before: String,
    /// SHA-256 of the leaf's DER, lower-case hex.
    pub sha256: String,
    pub subject: String,
    pub issuer: String,
    pub dns_names: Vec<String>,
    /// Certificates in the chain or bundle.
    pub certificates: usize,
    /// `Secret ns/name`, `file /etc/certs/cert.pem`.
    pub source: String,
    /// The files Envoy reads it from (file-based secrets).
    pub files: Vec<String>,
    /// Cert Chain: `true`/`false` when the key was compared with the certificate.
    pub key_matches: Option<bool>,
    /// Why it is WARMING or UNKNOWN, or what was not checked.
    pub notes: Vec<String>,
}

/// The rows, at `now` (Unix seconds), with the certificate files the caller read.
pub fn secrets(t: &RouteTable, files: &FileContents, now: i64) -> Vec<SecretRow> {
    inspect_all(t, files)
        .into_iter()
        .map(|i| {
            let leaf = i.certificates.first();
            let mut notes: Vec<String> = i
                .problems
                .iter()
                .map(|p| match p {
                    Problem::BadCertificate(why) => format!("not a usable certificate: {why}"),
                    Problem::BadKey(why) => format!("private key unusable: {why}"),
                    Problem::KeyDiffers => "the private key is not the certificate's".into(),
                    Problem::Unreadable { path, error } => format!("cannot read {path}: {error}"),
                    Problem::NotRead { path } => format!("{path}: not read here"),
                })
                .collect();
            if let Some(KeyMatch::NotChecked(why)) = &i.key {
                notes.push(format!("key not compared: {why}"));
            }
            let status = if i.problems.iter().any(Problem::unusable) {
                "WARMING"
            } else if i.problems.is_empty() {
                "ACTIVE"
            } else {
                "UNKNOWN"
            };
            let files = match &i.secret.data {
                SecretData::CertificateFiles { chain, key } => vec![chain.clone(), key.clone()],
                SecretData::CaFile { path } => vec![path.clone()],
                _ => Vec::new(),
            };
            SecretRow {
                resource_name: i.secret.name.clone(),
                type_: i.kind(),
                status,
                valid_cert: status != "WARMING" && leaf.is_some_and(|c| c.valid_at(now)),
                serial_number: leaf.map(|c| c.serial.clone()).unwrap_or_default(),
                not_after: leaf.map(|c| format_time(c.not_after)).unwrap_or_default(),
                not_before: leaf.map(|c| format_time(c.not_before)).unwrap_or_default(),
                sha256: leaf.map(|c| c.sha256.clone()).unwrap_or_default(),
                subject: leaf.map(|c| c.subject.clone()).unwrap_or_default(),
                issuer: leaf.map(|c| c.issuer.clone()).unwrap_or_default(),
                dns_names: leaf.map(|c| c.dns_names.clone()).unwrap_or_default(),
                certificates: i.certificates.len(),
                source: i.secret.source.clone(),
                files,
                key_matches: i.key.as_ref().and_then(KeyMatch::matches),
                notes,
            }
        })
        .collect()
}

pub fn render_secrets(rows: &[SecretRow]) -> String {
    render_table(
        &[
            "RESOURCE NAME",
            "TYPE",
            "STATUS",
            "VALID CERT",
            "SERIAL NUMBER",
            "NOT AFTER",
            "NOT BEFORE",
            "SHA-256",
        ],
        &rows
            .iter()
            .map(|r| {
                vec![
                    r.resource_name.clone(),
                    r.type_.to_string(),
                    r.status.to_string(),
                    r.valid_cert.to_string(),
                    r.serial_number.clone(),
                    r.not_after.clone(),
                    r.not_before.clone(),
                    r.sha256.clone(),
                ]
            })
            .collect::<Vec<_>>(),
    )
}
