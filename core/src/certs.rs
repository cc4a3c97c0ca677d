//! Certificates and private keys as the views and checks read them: PEM → X.509 facts (subject,
//! serial, validity, SHA-256 fingerprint) and whether a private key belongs to a certificate.
//!
//! Only `proxy-config secret`, the certificate checks ([`certificate_diagnostics`])
//! and the browser call this module; compile and routing never do, so the Envoy filter does
//! not link the X.509 parser (`x509-parser`, pure Rust, without its `verify` feature). Nothing
//! here keeps or prints a key or a whole certificate: a certificate is shown by its fingerprint.
//!
//! The key check compares public keys, never computes one: an RSA private key (PKCS#1, or
//! inside PKCS#8) carries its modulus and public exponent, an EC key (SEC1) and a PKCS#8 v2 key
//! (RFC 5958) usually carry their public key; a key that carries none (an Ed25519 PKCS#8 v1 key,
//! an EC key written without its public point) would need the curve arithmetic, so it is
//! reported as not checked rather than pulling a crypto library into the browser build.
//!
//! ```
//! use meshroute_core::certs::{format_time, KeyMatch};
//! assert_eq!(format_time(0), "1970-01-01T00:00:00Z");
//! assert_eq!(format_time(1_700_000_000), "2023-11-14T22:13:20Z");
//! assert_eq!(KeyMatch::NotChecked("x".into()).matches(), None);
//! ```

mod inspect;

pub use inspect::{
    certificate_diagnostics, inspect, inspect_all, refuses, secret_files, FileContents, Inspection,
    Problem,
};
use sha2::{Digest, Sha256};
use x509_parser::pem::Pem;
use x509_parser::public_key::PublicKey;

/// What the views show of one certificate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CertInfo {
    /// `CN=demoapp.example.com, O=…` as X.509 writes it.
    pub subject: String,
    pub issuer: String,
    /// Lower-case hex without leading zeros, as istioctl prints serial numbers (`%x`).
    pub serial: String,
    /// Seconds since the Unix epoch.
    pub not_before: i64,
    pub not_after: i64,
    /// SHA-256 of the DER certificate, lower-case hex (what `verifyCertificateHash` names).
    pub sha256: String,
    /// DNS subject alternative names.
    pub dns_names: Vec<String>,
    pub is_ca: bool,
    /// The public key as the key check compares it.
    public_key: PublicKeyBits,
}

impl CertInfo {
    /// Whether `now` (Unix seconds) lies in the certificate's validity period.
    pub fn valid_at(&self, now: i64) -> bool {
        self.not_before <= now && now <= self.not_after
    }
}

/// A public key reduced to what can be compared without arithmetic.
#[derive(Debug, Clone, PartialEq, Eq)]
enum PublicKeyBits {
    Rsa {
        modulus: Vec<u8>,
        exponent: Vec<u8>,
    },
    /// The encoded point (EC) or key (Ed25519/Ed448): the SPKI's BIT STRING contents.
    Raw(Vec<u8>),
    Unknown,
}

/// Why a PEM text is not a usable certificate (or bundle).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CertError {
    #[error("no PEM CERTIFICATE block")]
    NoCertificate,
    #[error("PEM block {index} is not valid PEM: {reason}")]
    BadPem { index: usize, reason: String },
    #[error("PEM CERTIFICATE block {index} is not an X.509 certificate: {reason}")]
    BadCertificate { index: usize, reason: String },
}

/// Every `CERTIFICATE` block of a PEM text, parsed (a chain: leaf first; a CA bundle: each CA).
/// Other blocks (a key pasted beside it) are skipped; any undecodable block is an error, as
/// Envoy refuses the whole chain.
pub fn parse_certificates(pem: &[u8]) -> Result<Vec<CertInfo>, CertError> {
    let mut out = Vec::new();
    for (index, block) in Pem::iter_from_buffer(pem).enumerate() {
        let block = block.map_err(|e| CertError::BadPem {
            index,
            reason: e.to_string(),
        })?;
        if block.label != "CERTIFICATE" && block.label != "TRUSTED CERTIFICATE" {
            continue;
        }
        let cert = block.parse_x509().map_err(|e| CertError::BadCertificate {
            index,
            reason: e.to_string(),
        })?;
        out.push(cert_info(&block.contents, &cert));
    }
    if out.is_empty() {
        return Err(CertError::NoCertificate);
    }
    Ok(out)
}

fn cert_info(der: &[u8], cert: &x509_parser::certificate::X509Certificate<'_>) -> CertInfo {
    let spki = cert.public_key();
    let public_key = match spki.parsed() {
        Ok(PublicKey::RSA(rsa)) => PublicKeyBits::Rsa {
            modulus: strip_zeros(rsa.modulus).to_vec(),
            exponent: strip_zeros(rsa.exponent).to_vec(),
        },
        Ok(PublicKey::EC(_)) | Ok(PublicKey::Unknown(_)) => {
            PublicKeyBits::Raw(spki.subject_public_key.data.to_vec())
        }
        _ => PublicKeyBits::Unknown,
    };
    let dns_names = cert
        .subject_alternative_name()
        .ok()
        .flatten()
        .map(|san| {
            san.value
                .general_names
                .iter()
                .filter_map(|n| match n {
                    x509_parser::extensions::GeneralName::DNSName(d) => Some(d.to_string()),
                    _ => None,
                })
                .collect()
        })
        .unwrap_or_default();
    let serial = hex(cert.raw_serial()).trim_start_matches('0').to_string();
    CertInfo {
        subject: cert.subject().to_string(),
        issuer: cert.issuer().to_string(),
        serial: if serial.is_empty() {
            "0".into()
        } else {
            serial
        },
        not_before: cert.validity().not_before.timestamp(),
        not_after: cert.validity().not_after.timestamp(),
        sha256: sha256_hex(der),
        dns_names,
        is_ca: cert.is_ca(),
        public_key,
    }
}

/// Whether a private key belongs to a certificate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeyMatch {
    Matches,
    /// The key's public half differs from the certificate's: Envoy refuses the pair.
    Differs,
    /// Not a private key Envoy reads (no PEM key block, undecodable DER).
    BadKey(String),
    /// A readable key that does not carry its public half (see the module documentation).
    NotChecked(String),
}

impl KeyMatch {
    /// `Some(true)`/`Some(false)` when the check was made.
    pub fn matches(&self) -> Option<bool> {
        match self {
            KeyMatch::Matches => Some(true),
            KeyMatch::Differs => Some(false),
            _ => None,
        }
    }
}

const OID_RSA: &[u8] = &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x01];
const OID_EC: &[u8] = &[0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01];

/// Compares the certificate's public key with the one the PEM private key carries.
pub fn key_matches(cert: &CertInfo, key_pem: &[u8]) -> KeyMatch {
    let block = Pem::iter_from_buffer(key_pem)
        .filter_map(Result::ok)
        .find(|b| b.label.ends_with("PRIVATE KEY"));
    let Some(block) = block else {
        return KeyMatch::BadKey("no PEM PRIVATE KEY block".into());
    };
    let public = match block.label.as_str() {
        "PRIVATE KEY" => pkcs8_public(&block.contents),
        "RSA PRIVATE KEY" => rsa_public(&block.contents),
        "EC PRIVATE KEY" => sec1_public(&block.contents),
        "ENCRYPTED PRIVATE KEY" => {
            return KeyMatch::BadKey(
                "the private key is encrypted: Envoy's SDS certificate needs it unencrypted".into(),
            )
        }
        other => return KeyMatch::BadKey(format!("unknown key type {other:?}")),
    };
    match public {
        Err(e) => KeyMatch::BadKey(e),
        Ok(None) => KeyMatch::NotChecked(
            "the private key does not carry its public key; comparing would need the curve arithmetic".into(),
        ),
        Ok(Some(_)) if cert.public_key == PublicKeyBits::Unknown => {
            KeyMatch::NotChecked("the certificate's key type is not compared".into())
        }
        Ok(Some(k)) if k == cert.public_key => KeyMatch::Matches,
        Ok(Some(_)) => KeyMatch::Differs,
    }
}

type KeyResult = Result<Option<PublicKeyBits>, String>;

/// PKCS#8 `PrivateKeyInfo`/`OneAsymmetricKey`: version, algorithm, privateKey OCTET STRING,
/// `[0]` attributes, `[1] IMPLICIT` publicKey (v2).
fn pkcs8_public(der: &[u8]) -> KeyResult {
    let bad = || "the PKCS#8 private key is not valid DER".to_string();
    let mut seq = Der::new(der).expect(0x30).ok_or_else(bad)?;
    seq.expect(0x02).ok_or_else(bad)?;
    let mut alg = seq.expect(0x30).ok_or_else(bad)?;
    let oid = alg.expect(0x06).ok_or_else(bad)?;
    let key = seq.expect(0x04).ok_or_else(bad)?;
    if oid.rest == OID_RSA {
        return rsa_public(key.rest);
    }
    if oid.rest == OID_EC {
        return sec1_public(key.rest);
    }
    // Ed25519, Ed448, X25519 …: only a v2 key's own public key can be compared.
    while let Some((tag, body)) = seq.next() {
        if tag == 0x81 {
            return Ok(body
                .split_first()
                .map(|(_, k)| PublicKeyBits::Raw(k.to_vec())));
        }
    }
    Ok(None)
}

/// PKCS#1 `RSAPrivateKey`: version, modulus, publicExponent, ….
fn rsa_public(der: &[u8]) -> KeyResult {
    let bad = || "the RSA private key is not valid DER".to_string();
    let mut seq = Der::new(der).expect(0x30).ok_or_else(bad)?;
    seq.expect(0x02).ok_or_else(bad)?;
    let n = seq.expect(0x02).ok_or_else(bad)?;
    let e = seq.expect(0x02).ok_or_else(bad)?;
    Ok(Some(PublicKeyBits::Rsa {
        modulus: strip_zeros(n.rest).to_vec(),
        exponent: strip_zeros(e.rest).to_vec(),
    }))
}

/// SEC1 `ECPrivateKey`: version, privateKey, `[0]` parameters, `[1]` publicKey BIT STRING.
fn sec1_public(der: &[u8]) -> KeyResult {
    let bad = || "the EC private key is not valid DER".to_string();
    let mut seq = Der::new(der).expect(0x30).ok_or_else(bad)?;
    seq.expect(0x02).ok_or_else(bad)?;
    seq.expect(0x04).ok_or_else(bad)?;
    while let Some((tag, body)) = seq.next() {
        if tag == 0xa1 {
            let bits = Der::new(body).expect(0x03).ok_or_else(bad)?;
            return Ok(bits
                .rest
                .split_first()
                .map(|(_, k)| PublicKeyBits::Raw(k.to_vec())));
        }
    }
    Ok(None)
}

/// A minimal DER reader: enough for the few key structures above.
struct Der<'a> {
    rest: &'a [u8],
}

impl<'a> Der<'a> {
    fn new(rest: &'a [u8]) -> Der<'a> {
        Der { rest }
    }

    /// The next element: its tag and contents.
    fn next(&mut self) -> Option<(u8, &'a [u8])> {
        let (&tag, rest) = self.rest.split_first()?;
        let (&first, mut rest) = rest.split_first()?;
        let len = if first < 0x80 {
            first as usize
        } else {
            let n = (first & 0x7f) as usize;
            if n == 0 || n > 4 || rest.len() < n {
                return None;
            }
            let len = rest[..n].iter().fold(0usize, |a, &b| (a << 8) | b as usize);
            rest = &rest[n..];
            len
        };
        if rest.len() < len {
            return None;
        }
        let (body, after) = rest.split_at(len);
        self.rest = after;
        Some((tag, body))
    }

    /// The next element, which must have this tag, as a reader over its contents.
    fn expect(&mut self, tag: u8) -> Option<Der<'a>> {
        match self.next()? {
            (t, body) if t == tag => Some(Der::new(body)),
            _ => None,
        }
    }
}

fn strip_zeros(b: &[u8]) -> &[u8] {
    let i = b.iter().position(|&x| x != 0).unwrap_or(b.len());
    &b[i..]
}

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

/// SHA-256 of some bytes, lower-case hex.
pub fn sha256_hex(bytes: &[u8]) -> String {
    hex(&Sha256::digest(bytes))
}

/// Unix seconds as RFC 3339 UTC (`2024-08-15T07:46:24Z`), as istioctl prints NOT AFTER.
pub fn format_time(secs: i64) -> String {
    let days = secs.div_euclid(86_400);
    let t = secs.rem_euclid(86_400);
    // Howard Hinnant's civil_from_days.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z",
        t / 3600,
        t / 60 % 60,
        t % 60
    )
}

#[cfg(test)]
pub(crate) mod testing;
#[cfg(test)]
mod tests;
