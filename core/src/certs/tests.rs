use super::testing::*;
use super::*;

#[test]
fn a_certificate_shows_subject_serial_validity_and_fingerprint() {
    let p = leaf("demoapp.example.com", (2020, 2030), 0x0abc);
    let certs = parse_certificates(p.cert.as_bytes()).unwrap();
    assert_eq!(certs.len(), 1);
    let c = &certs[0];
    assert_eq!(c.subject, "CN=demoapp.example.com");
    // istioctl's `%x`: no leading zeros.
    assert_eq!(c.serial, "abc");
    assert_eq!(format_time(c.not_before), "2020-01-01T00:00:00Z");
    assert_eq!(format_time(c.not_after), "2030-01-01T00:00:00Z");
    assert_eq!(c.dns_names, vec!["demoapp.example.com"]);
    assert_eq!(c.sha256.len(), 64);
    assert!(!c.is_ca);
    assert!(c.valid_at(1_700_000_000));
    assert!(!c.valid_at(1_900_000_000));
}

#[test]
fn a_chain_or_bundle_yields_every_certificate_and_skips_other_blocks() {
    let a = leaf("a.example.com", (2020, 2030), 1);
    let text = format!("{}{}{}", a.cert, ca("Root CA"), a.key);
    let certs = parse_certificates(text.as_bytes()).unwrap();
    assert_eq!(certs.len(), 2);
    assert!(certs[1].is_ca);
}

#[test]
fn text_that_is_not_a_certificate_is_an_error() {
    assert_eq!(parse_certificates(b"hello"), Err(CertError::NoCertificate));
    let key_only = leaf("a.example.com", (2020, 2030), 1).key;
    assert_eq!(
        parse_certificates(key_only.as_bytes()),
        Err(CertError::NoCertificate)
    );
    let garbage = "-----BEGIN CERTIFICATE-----\nTUlJQm9n\n-----END CERTIFICATE-----\n";
    assert!(matches!(
        parse_certificates(garbage.as_bytes()),
        Err(CertError::BadCertificate { index: 0, .. })
    ));
    let not_base64 = "-----BEGIN CERTIFICATE-----\n!!!!\n-----END CERTIFICATE-----\n";
    assert!(parse_certificates(not_base64.as_bytes()).is_err());
}

#[test]
fn an_ec_key_matches_its_certificate_and_not_another() {
    let a = leaf("a.example.com", (2020, 2030), 1);
    let b = leaf("b.example.com", (2020, 2030), 2);
    let ca = &parse_certificates(a.cert.as_bytes()).unwrap()[0];
    assert_eq!(key_matches(ca, a.key.as_bytes()), KeyMatch::Matches);
    assert_eq!(key_matches(ca, b.key.as_bytes()), KeyMatch::Differs);
}

#[test]
fn an_ed25519_pkcs8_v2_key_is_compared_through_its_public_key() {
    let a = ed25519_leaf("a.example.com");
    let b = ed25519_leaf("b.example.com");
    let c = &parse_certificates(a.cert.as_bytes()).unwrap()[0];
    assert_eq!(key_matches(c, a.key.as_bytes()), KeyMatch::Matches);
    assert_eq!(key_matches(c, b.key.as_bytes()), KeyMatch::Differs);
    // An EC key for an Ed25519 certificate differs too.
    let ec = leaf("a.example.com", (2020, 2030), 1);
    assert_eq!(key_matches(c, ec.key.as_bytes()), KeyMatch::Differs);
}

#[test]
fn an_rsa_pkcs1_key_is_compared_by_modulus_and_exponent() {
    let same = rsa_pair(5, 5);
    let c = &parse_certificates(same.cert.as_bytes()).unwrap()[0];
    assert_eq!(key_matches(c, same.key.as_bytes()), KeyMatch::Matches);
    let other = rsa_pair(5, 6);
    assert_eq!(key_matches(c, other.key.as_bytes()), KeyMatch::Differs);
}

#[test]
fn keys_that_cannot_be_compared_say_why() {
    let a = leaf("a.example.com", (2020, 2030), 1);
    let c = &parse_certificates(a.cert.as_bytes()).unwrap()[0];
    assert!(matches!(
        key_matches(c, a.cert.as_bytes()),
        KeyMatch::BadKey(_)
    ));
    let encrypted = pem("ENCRYPTED PRIVATE KEY", &[0x30, 0x00]);
    assert!(
        matches!(key_matches(c, encrypted.as_bytes()), KeyMatch::BadKey(m) if m.contains("encrypted"))
    );
    let broken = pem("PRIVATE KEY", &[0x30, 0x05, 0x02]);
    assert!(matches!(
        key_matches(c, broken.as_bytes()),
        KeyMatch::BadKey(_)
    ));
    // An EC key written without its public point (SEC1 allows it).
    let bare = pem(
        "EC PRIVATE KEY",
        &[0x30, 0x06, 0x02, 0x01, 0x01, 0x04, 0x01, 0x07],
    );
    assert!(matches!(
        key_matches(c, bare.as_bytes()),
        KeyMatch::NotChecked(_)
    ));
}

#[test]
fn times_format_as_rfc3339_utc() {
    for (secs, text) in [
        (0, "1970-01-01T00:00:00Z"),
        (951_782_400, "2000-02-29T00:00:00Z"),
        (1_723_707_984, "2024-08-15T07:46:24Z"),
        (-1, "1969-12-31T23:59:59Z"),
        (253_402_300_799, "9999-12-31T23:59:59Z"),
    ] {
        assert_eq!(format_time(secs), text, "{secs}");
    }
}

// ---------------------------------------------------------------------------------------------
// Diagnostics on a compiled gateway

use crate::compile::{TLS_BAD_CERTIFICATE, TLS_CERT_VALIDITY, TLS_KEY_MISMATCH};
use crate::diag::Severity;

fn simple(name: &str, host: &str, credential: &str) -> String {
    https(
        name,
        host,
        &format!("{{mode: SIMPLE, credentialName: {credential}}}"),
    )
}

fn line_of(text: &str, needle: &str) -> u32 {
    text.lines()
        .position(|l| l.contains(needle))
        .map(|i| i as u32 + 1)
        .unwrap_or(0)
}

#[test]
fn pem_that_is_not_a_certificate_is_an_error_on_the_server_that_uses_it() {
    let good = leaf("a.example.com", (2020, 2040), 1);
    let docs = vec![
        gateway(&[
            &simple("https-a", "a.example.com", "a-cert"),
            &simple("https-b", "b.example.com", "b-cert"),
        ]),
        secret("a-cert", &good.cert, &good.key, None),
        secret(
            "b-cert",
            "-----BEGIN CERTIFICATE-----\nTUlJQm9n\n-----END CERTIFICATE-----",
            &good.key,
            None,
        ),
    ];
    let (res, t, _) = compile_gateway(&docs);
    let d = certificate_diagnostics(&res, &t, &FileContents::new(), None);
    assert_eq!(d.len(), 1, "{d:?}");
    assert_eq!(d[0].code, TLS_BAD_CERTIFICATE);
    assert_eq!(d[0].severity, Severity::Error);
    assert_eq!(d[0].kind, "Gateway");
    assert_eq!(d[0].name, "gw");
    assert_eq!(d[0].path, "spec.servers[1].tls.credentialName");
    assert_eq!(d[0].file, "tls.yaml");
    assert_eq!(d[0].line, line_of(&docs.join("---\n"), "b-cert}"));
    assert!(
        d[0].message.contains("Secret istio-system/b-cert"),
        "{}",
        d[0].message
    );
    assert!(refuses(&d[0]));
}

#[test]
fn a_key_that_is_not_the_certificates_is_an_error() {
    let a = leaf("a.example.com", (2020, 2040), 1);
    let b = leaf("b.example.com", (2020, 2040), 2);
    let docs = vec![
        gateway(&[&simple("https-a", "a.example.com", "a-cert")]),
        secret("a-cert", &a.cert, &b.key, None),
    ];
    let (res, t, _) = compile_gateway(&docs);
    let d = certificate_diagnostics(&res, &t, &FileContents::new(), None);
    assert_eq!(d.len(), 1, "{d:?}");
    assert_eq!(d[0].code, TLS_KEY_MISMATCH);
    assert_eq!(d[0].path, "spec.servers[0].tls.credentialName");
    assert!(
        d[0].message.contains("CN=a.example.com"),
        "{}",
        d[0].message
    );
    assert!(refuses(&d[0]));
    // Never a key or a whole certificate in a message.
    assert!(!d[0].message.contains("PRIVATE KEY") && !d[0].message.contains("BEGIN"));
}

#[test]
fn an_expired_or_not_yet_valid_certificate_is_a_warning_with_the_date_at_the_callers_now() {
    let old = leaf("a.example.com", (2010, 2012), 1);
    let future = leaf("b.example.com", (2090, 2095), 2);
    let docs = vec![
        gateway(&[
            &simple("https-a", "a.example.com", "a-cert"),
            &simple("https-b", "b.example.com", "b-cert"),
        ]),
        secret("a-cert", &old.cert, &old.key, None),
        secret("b-cert", &future.cert, &future.key, None),
    ];
    let (res, t, _) = compile_gateway(&docs);
    // Without a clock nothing is said about validity.
    assert!(certificate_diagnostics(&res, &t, &FileContents::new(), None).is_empty());
    let d = certificate_diagnostics(&res, &t, &FileContents::new(), Some(jan1(2030)));
    assert_eq!(d.len(), 2, "{d:?}");
    assert!(d
        .iter()
        .all(|d| d.code == TLS_CERT_VALIDITY && d.severity == Severity::Warning));
    assert!(
        d[0].message.contains("expired on 2012-01-01T00:00:00Z"),
        "{}",
        d[0].message
    );
    assert_eq!(d[0].path, "spec.servers[0].tls.credentialName");
    assert!(
        d[1].message
            .contains("not valid before 2090-01-01T00:00:00Z"),
        "{}",
        d[1].message
    );
    assert!(!refuses(&d[0]));
}

#[test]
fn certificate_files_are_checked_from_the_bytes_the_caller_read() {
    let a = leaf("a.example.com", (2020, 2040), 1);
    let b = leaf("b.example.com", (2020, 2040), 2);
    let docs = vec![gateway(&[&https(
        "https-a",
        "a.example.com",
        "{mode: MUTUAL, serverCertificate: /certs/a.pem, privateKey: /certs/a.key, caCertificates: /certs/ca.pem}",
    )])];
    let (res, t, _) = compile_gateway(&docs);
    assert_eq!(
        secret_files(&t),
        ["/certs/a.pem", "/certs/a.key", "/certs/ca.pem"]
    );
    // Nothing read (the browser): nothing to say.
    assert!(certificate_diagnostics(&res, &t, &FileContents::new(), None).is_empty());
    let mut files = FileContents::new();
    files.insert("/certs/a.pem".into(), Ok(a.cert.into_bytes()));
    files.insert("/certs/a.key".into(), Ok(b.key.into_bytes()));
    files.insert(
        "/certs/ca.pem".into(),
        Err("No such file or directory".into()),
    );
    let d = certificate_diagnostics(&res, &t, &files, None);
    let got: Vec<(&str, Severity, &str)> = d
        .iter()
        .map(|d| (d.code.as_str(), d.severity, d.path.as_str()))
        .collect();
    assert_eq!(
        got,
        [
            (
                TLS_KEY_MISMATCH,
                Severity::Error,
                "spec.servers[0].tls.privateKey"
            ),
            (
                TLS_BAD_CERTIFICATE,
                Severity::Warning,
                "spec.servers[0].tls.caCertificates"
            ),
        ]
    );
}
