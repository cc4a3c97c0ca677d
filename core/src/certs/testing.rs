//! Certificates and keys generated per test (rcgen): nothing committed.

use rcgen::{
    date_time_ymd, BasicConstraints, CertificateParams, DistinguishedName, DnType, IsCa, KeyPair,
    PublicKeyData, SerialNumber, SignatureAlgorithm,
};

/// A certificate and its private key, PEM.
pub struct Pair {
    pub cert: String,
    pub key: String,
}

fn params(cn: &str, years: (i32, i32), serial: u64) -> CertificateParams {
    let mut p = CertificateParams::new(vec![cn.to_string()]).expect("params");
    let mut dn = DistinguishedName::new();
    dn.push(DnType::CommonName, cn);
    p.distinguished_name = dn;
    p.not_before = date_time_ymd(years.0, 1, 1);
    p.not_after = date_time_ymd(years.1, 1, 1);
    p.serial_number = Some(SerialNumber::from(serial.to_be_bytes().to_vec()));
    p
}

/// A self-signed ECDSA P-256 certificate for `cn`, valid from 1 January of the first year to
/// 1 January of the second.
pub fn leaf(cn: &str, years: (i32, i32), serial: u64) -> Pair {
    let key = KeyPair::generate().expect("key");
    let cert = params(cn, years, serial).self_signed(&key).expect("cert");
    Pair {
        cert: cert.pem(),
        key: key.serialize_pem(),
    }
}

/// The same with an Ed25519 key (PKCS#8 v2: it carries its public key).
pub fn ed25519_leaf(cn: &str) -> Pair {
    let key = KeyPair::generate_for(&rcgen::PKCS_ED25519).expect("key");
    let cert = params(cn, (2020, 2040), 7).self_signed(&key).expect("cert");
    Pair {
        cert: cert.pem(),
        key: key.serialize_pem(),
    }
}

/// A CA certificate (PEM).
pub fn ca(cn: &str) -> String {
    let key = KeyPair::generate().expect("key");
    let mut p = params(cn, (2020, 2040), 1);
    p.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    p.self_signed(&key).expect("ca").pem()
}

/// An RSA public key with a made-up modulus: rcgen signs a certificate for it with an ECDSA
/// issuer, so RSA keys are tested without generating one.
struct FakeRsa(Vec<u8>);

impl PublicKeyData for FakeRsa {
    fn der_bytes(&self) -> &[u8] {
        &self.0
    }
    fn algorithm(&self) -> &SignatureAlgorithm {
        &rcgen::PKCS_RSA_SHA256
    }
}

fn der(tag: u8, body: &[u8]) -> Vec<u8> {
    let mut out = vec![tag];
    if body.len() < 0x80 {
        out.push(body.len() as u8);
    } else {
        let len = (body.len() as u32).to_be_bytes();
        let skip = len.iter().position(|&b| b != 0).unwrap_or(3);
        out.push(0x80 | (4 - skip) as u8);
        out.extend_from_slice(&len[skip..]);
    }
    out.extend_from_slice(body);
    out
}

fn modulus(seed: u8) -> Vec<u8> {
    // 2048 bits, high bit set (hence DER's leading zero).
    let mut n = vec![0u8];
    n.extend((0..256).map(|i| (i as u8).wrapping_mul(31).wrapping_add(seed) | 0x80));
    n
}

/// A certificate for an RSA key with modulus `seed`, and a PKCS#1 `RSA PRIVATE KEY` whose
/// modulus is `key_seed` (the same seed: the pair matches).
pub fn rsa_pair(seed: u8, key_seed: u8) -> Pair {
    let e = der(0x02, &[0x01, 0x00, 0x01]);
    let public = der(0x30, &[der(0x02, &modulus(seed)), e.clone()].concat());
    let issuer_key = KeyPair::generate().expect("key");
    let issuer = params("issuer", (2020, 2040), 2)
        .self_signed(&issuer_key)
        .expect("issuer");
    let cert = params("rsa.example.com", (2020, 2040), 3)
        .signed_by(&FakeRsa(public), &issuer, &issuer_key)
        .expect("cert");
    let one = der(0x02, &[1]);
    let private = der(
        0x30,
        &[
            der(0x02, &[0]),
            der(0x02, &modulus(key_seed)),
            e,
            one.clone(),
            one.clone(),
            one.clone(),
            one.clone(),
            one.clone(),
            one,
        ]
        .concat(),
    );
    Pair {
        cert: cert.pem(),
        key: pem("RSA PRIVATE KEY", &private),
    }
}

/// PEM armour, 64 base64 characters a line.
pub fn pem(label: &str, der: &[u8]) -> String {
    const B64: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut text = String::new();
    for chunk in der.chunks(3) {
        let b = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                text.push(B64[(n >> (18 - 6 * i) & 63) as usize] as char);
            } else {
                text.push('=');
            }
        }
    }
    let mut out = format!("-----BEGIN {label}-----\n");
    for line in text.as_bytes().chunks(64) {
        out.push_str(std::str::from_utf8(line).unwrap_or(""));
        out.push('\n');
    }
    out.push_str(&format!("-----END {label}-----\n"));
    out
}

/// A `kubernetes.io/tls` Secret in istio-system with these PEM values (`ca.crt` when given).
pub fn secret(name: &str, cert: &str, key: &str, ca: Option<&str>) -> String {
    let block = |k: &str, v: &str| {
        let mut s = format!("  {k}: |\n");
        for l in v.lines() {
            s.push_str(&format!("    {l}\n"));
        }
        s
    };
    let mut s = format!(
        "apiVersion: v1\nkind: Secret\nmetadata: {{name: {name}, namespace: istio-system}}\ntype: kubernetes.io/tls\nstringData:\n"
    );
    s.push_str(&block("tls.crt", cert));
    s.push_str(&block("tls.key", key));
    if let Some(ca) = ca {
        s.push_str(&block("ca.crt", ca));
    }
    s
}

/// The ingress gateway's Service (443 → 8443, 80 → 8080) and a Gateway `gw` with these
/// servers (YAML flow mappings, one a line).
pub fn gateway(servers: &[&str]) -> String {
    let mut s = String::from(
        "apiVersion: v1\nkind: Service\nmetadata: {name: istio-ingressgateway, namespace: istio-system}\nspec:\n  selector: {istio: ingressgateway}\n  ports: [{name: http2, port: 80, targetPort: 8080}, {name: https, port: 443, targetPort: 8443}]\n---\napiVersion: networking.istio.io/v1\nkind: Gateway\nmetadata: {name: gw, namespace: istio-system}\nspec:\n  selector: {istio: ingressgateway}\n  servers:\n",
    );
    for srv in servers {
        s.push_str(&format!("  - {srv}\n"));
    }
    s
}

/// An HTTPS server on 443 for `host` (YAML flow mapping), with this `tls`.
pub fn https(name: &str, host: &str, tls: &str) -> String {
    format!(
        "{{port: {{number: 443, name: {name}, protocol: HTTPS}}, hosts: [\"{host}\"], tls: {tls}}}"
    )
}

/// Loads the documents (file `tls.yaml`) and compiles them for the ingress gateway.
pub fn compile_gateway(
    docs: &[String],
) -> (
    crate::resources::Resources,
    crate::table::RouteTable,
    Vec<crate::diag::Diagnostic>,
) {
    let text = docs.join("---\n");
    let (res, diags) = crate::resources::load(
        &[("tls.yaml", &text)],
        &crate::resources::LoadOptions::default(),
    );
    assert!(
        diags
            .iter()
            .all(|d| d.severity != crate::diag::Severity::Error),
        "{diags:?}"
    );
    let proxy =
        crate::config::ProxyIdentity::gateway("istio-system", &[("istio", "ingressgateway")]);
    let (table, cd) = crate::compile::compile(&res, &proxy);
    (res, table, cd)
}

/// 1 January of a year, as Unix seconds.
pub fn jan1(year: i32) -> i64 {
    let days_from_epoch = (1970..year)
        .map(|y| {
            if (y % 4 == 0 && y % 100 != 0) || y % 400 == 0 {
                366
            } else {
                365
            }
        })
        .sum::<i64>();
    days_from_epoch * 86_400
}
