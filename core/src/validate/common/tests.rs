use super::*;

#[test]
fn wildcard_labels_follow_istio() {
    for ok in ["*", "*foo", "*-foo", "foo", "a-b", "A1"] {
        assert!(is_wildcard_dns1123_label(ok), "{ok}");
    }
    for bad in ["", "*.", "f*o", "foo*", "-foo", "*-", "**", "*_x"] {
        assert!(!is_wildcard_dns1123_label(bad), "{bad}");
    }
}

#[test]
fn wildcard_domains_follow_istio() {
    for ok in [
        "*",
        "*.foo.com",
        "foo.com",
        "foo.com.",
        "*foo.bar",
        "a",
        "reviews",
    ] {
        assert!(validate_wildcard_domain(ok).is_ok(), "{ok}");
    }
    for bad in [
        "",
        "foo.*.com",
        "*.*.com",
        "foo..com",
        "1.2.3.4",
        "a.123",
        "-a.com",
    ] {
        assert!(validate_wildcard_domain(bad).is_err(), "{bad}");
    }
    assert!(validate_wildcard_domain(&"a".repeat(256)).is_err());
}

#[test]
fn header_value_formatters_are_checked_like_envoy() {
    for ok in [
        "foo",
        "%HOSTNAME%",
        "100%%",
        "prefix %HOSTNAME% suffix",
        "%REQ(x-a)%",
    ] {
        assert!(validate_header_value(ok).is_ok(), "{ok}");
    }
    for bad in ["abc%123", "%START_TIME%%", "a\nb", "50%"] {
        assert!(validate_header_value(bad).is_err(), "{bad}");
    }
}

#[test]
fn regexes_are_re2_like() {
    assert!(validate_regex("/api/v[0-9]+/.*").is_ok());
    assert!(validate_regex("(?i)abc").is_ok());
    assert!(validate_regex("*").is_err());
    assert!(validate_regex("a{1001}").is_err());
    assert!(validate_regex("[a{1001}]").is_ok());
    assert!(validate_regex(&"a".repeat(1025)).is_err());
    // RE2 forms the `regex` crate spells differently
    assert!(validate_regex(r"\Qa.b*\E+").is_ok());
    assert!(validate_regex(r"\012").is_ok());
    assert!(validate_regex(r"(a)\1").is_err());
    assert!(validate_regex(r"\pL+\p{Greek}").is_ok());
}

#[test]
fn label_keys_and_values() {
    assert!(validate_label_key("app").is_ok());
    assert!(validate_label_key("app.kubernetes.io/name").is_ok());
    assert!(validate_label_key("a/b/c").is_err());
    assert!(validate_label_key("-a").is_err());
    assert!(validate_label_value("").is_ok());
    assert!(validate_label_value("v1.2_x").is_ok());
    assert!(validate_label_value("v1 ").is_err());
}

#[test]
fn subnets() {
    assert!(validate_ip_subnet("10.0.0.0/8").is_ok());
    assert!(validate_ip_subnet("2001:1::1/64").is_ok());
    assert!(validate_ip_subnet("10.0.0.1").is_ok());
    assert!(validate_ip_subnet("10.0.0.0/33").is_err());
    assert!(validate_ip_subnet("10.0.0/8").is_err());
    assert!(validate_ip_subnet("foo").is_err());
}
