//! Hostile and absurd input: each case gets a clear error or a correct answer, in bounded time
//! and memory. Outcomes (and the times printed with `--nocapture`) are recorded in
//! docs/RELIABILITY.md ("Adversarial input").
//!
//! Time bounds are generous: these tests run unoptimized (`cargo test`), and they are there to
//! catch super-linear behaviour (seconds to hours), not to benchmark.
use meshroute_core::check::{prepare, rejects, Prepared};
use meshroute_core::config::parse_config;
use meshroute_core::diag::codes;
use meshroute_core::lb::SplitMix64;
use meshroute_core::resources::{load, LoadOptions};
use meshroute_core::route::{decide, Decision, LbState, Outcome, ReplyKind, Request};
use meshroute_core::yaml::{parse_documents, Limits};
use std::time::{Duration, Instant};

fn timed<T>(what: &str, limit: Duration, f: impl FnOnce() -> T) -> T {
    let t = Instant::now();
    let out = f();
    let took = t.elapsed();
    println!("{what}: {took:?}");
    assert!(took < limit, "{what} took {took:?} (limit {limit:?})");
    out
}

/// A gateway config: one Service `web` (two pods), the gateway `gw` for `*`, plus `extra`
/// documents (indented under `resources: |`).
fn config(extra: &str) -> String {
    let mut s = String::from(
        r#"proxy: {kind: gateway, namespace: istio-system, labels: {istio: ingressgateway}}
listenerPort: 8080
resources: |
  apiVersion: v1
  kind: Service
  metadata: {name: istio-ingressgateway, namespace: istio-system}
  spec:
    selector: {istio: ingressgateway}
    ports: [{name: http2, port: 80, targetPort: 8080}]
  ---
  apiVersion: v1
  kind: Service
  metadata: {name: web, namespace: default}
  spec:
    selector: {app: web}
    ports: [{name: http, port: 8080}]
  ---
  apiVersion: v1
  kind: Service
  metadata: {name: admin, namespace: default}
  spec:
    selector: {app: admin}
    ports: [{name: http, port: 8080}]
  ---
  apiVersion: v1
  kind: Pod
  metadata: {name: web-1, namespace: default, labels: {app: web}}
  status: {podIP: 10.0.0.1}
  ---
  apiVersion: v1
  kind: Pod
  metadata: {name: admin-1, namespace: default, labels: {app: admin}}
  status: {podIP: 10.0.9.1}
  ---
  apiVersion: networking.istio.io/v1
  kind: Gateway
  metadata: {name: gw, namespace: istio-system}
  spec:
    selector: {istio: ingressgateway}
    servers: [{port: {number: 80, name: http, protocol: HTTP}, hosts: ["*"]}]
"#,
    );
    for line in extra.lines() {
        s.push_str("  ");
        s.push_str(line);
        s.push('\n');
    }
    s
}

fn prepared(text: &str) -> Prepared {
    prepare("adv.yaml", text.as_bytes(), &LoadOptions::default()).unwrap_or_else(|d| {
        panic!(
            "{:#?}",
            d.iter().filter(|d| rejects(d)).take(3).collect::<Vec<_>>()
        )
    })
}

fn get<'t>(
    p: &'t Prepared,
    authority: &[u8],
    path: &[u8],
    headers: &[(&[u8], &[u8])],
) -> Decision<'t> {
    let req = Request {
        filter_chain: b"",
        listener_port: 8080,
        authority,
        path,
        method: b"GET",
        scheme: b"http",
        headers,
        source_ip: None,
    };
    decide(
        &p.table,
        &req,
        &mut LbState::for_table(&p.table),
        0,
        &mut SplitMix64(1),
        false,
    )
}

fn endpoint<'a>(d: &'a Decision) -> Option<&'a str> {
    match &d.outcome {
        Outcome::Forward(f) => f.endpoint_address,
        Outcome::Reply(_) => None,
    }
}

fn reply_kind(d: &Decision) -> Option<ReplyKind> {
    match &d.outcome {
        Outcome::Reply(r) => Some(r.kind),
        Outcome::Forward(_) => None,
    }
}

const WEB: Option<&str> = Some("10.0.0.1:8080");
const ADMIN: Option<&str> = Some("10.0.9.1:8080");

// ---- YAML bombs and nesting -------------------------------------------------------------------

/// Billion laughs built from mappings (each level a map of ten aliases): refused by the node
/// budget, not expanded.
#[test]
fn nested_mapping_alias_bomb_is_refused() {
    let mut text =
        String::from("l0: &l0 {a: x, b: x, c: x, d: x, e: x, f: x, g: x, h: x, i: x, j: x}\n");
    for i in 1..10 {
        let p = i - 1;
        text.push_str(&format!(
            "l{i}: &l{i} {{a: *l{p}, b: *l{p}, c: *l{p}, d: *l{p}, e: *l{p}, f: *l{p}, g: *l{p}, h: *l{p}, i: *l{p}, j: *l{p}}}\n"
        ));
    }
    let docs = timed("mapping alias bomb", Duration::from_secs(5), || {
        parse_documents(&text, &Limits::default())
    });
    assert!(docs[0].node.is_none());
    assert!(
        docs[0].errors[0].message.contains("alias"),
        "{:?}",
        docs[0].errors
    );
    // Through the loader: one INPUT_LIMIT error.
    let (_, diags) = load(&[("bomb.yaml", &text)], &LoadOptions::default());
    assert!(
        diags.iter().any(|d| d.code == codes::INPUT_LIMIT),
        "{diags:?}"
    );
}

/// Many documents, each a moderate expansion: the node budget is per input, not per document,
/// so the total is capped too and the rest of the file is not parsed.
#[test]
fn alias_expansion_across_documents_shares_one_budget() {
    // Each document: 10 x 10 x 10 x 10 = 10k leaves (about 11k nodes).
    let one = "a: &a [x, x, x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]\nc: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]\nd: [*c, *c, *c, *c, *c, *c, *c, *c, *c, *c]\n";
    let docs_text = vec![one; 1_000].join("---\n"); // ~11M nodes if expanded
    let docs = timed(
        "1000 documents of 11k-node expansions",
        Duration::from_secs(20),
        || parse_documents(&docs_text, &Limits::default()),
    );
    assert!(
        docs.len() < 1_000,
        "stopped early: {} documents",
        docs.len()
    );
    let last = docs.last().unwrap();
    assert!(last.errors.iter().any(|e| e.limit), "{:?}", last.errors);
    // An alias cannot reach an anchor of an earlier document (documents are separate).
    let docs = parse_documents("a: &x [1]\n---\nb: *x\n", &Limits::default());
    assert!(docs[1].node.is_none());
    assert!(docs[1].errors[0].message.contains("unknown anchor"));
}

#[test]
fn deep_nesting_is_refused_without_stack_overflow() {
    for (what, text) in [
        ("1M open brackets", "[".repeat(1_000_000)),
        ("100k nested flow maps", "{a: ".repeat(100_000)),
        (
            "300 nested block maps",
            (0..300).map(|i| format!("{}k:\n", " ".repeat(i))).collect(),
        ),
        (
            "200 nested block lists",
            (0..200).map(|i| format!("{}-\n", " ".repeat(i))).collect(),
        ),
    ] {
        let docs = timed(what, Duration::from_secs(10), || {
            parse_documents(&text, &Limits::default())
        });
        assert!(docs[0].node.is_none(), "{what}");
        assert!(
            docs[0].errors[0].message.contains("nest")
                || docs[0].errors[0].message.contains("syntax"),
            "{what}: {:?}",
            docs[0].errors
        );
    }
}

/// A mapping with 200k keys: the duplicate-key check must not be quadratic (it was: 200k keys
/// took minutes; a 32 MiB config could hang `on_configure` for hours).
#[test]
fn huge_mapping_loads_in_linear_time() {
    let mut text =
        String::from("apiVersion: v1\nkind: Service\nmetadata:\n  name: web\n  labels:\n");
    for i in 0..200_000 {
        text.push_str(&format!("    k{i}: v\n"));
    }
    text.push_str("    k7: dup\nspec: {ports: [{port: 80}]}\n");
    let (res, diags) = timed("200k-key mapping", Duration::from_secs(20), || {
        load(&[("labels.yaml", &text)], &LoadOptions::default())
    });
    assert_eq!(res.services.len(), 1);
    assert_eq!(res.services[0].meta.labels.len(), 200_000);
    assert!(
        diags
            .iter()
            .any(|d| d.message.contains("duplicate key \"k7\"")),
        "{diags:?}"
    );
}

// ---- sizes ----------------------------------------------------------------------------------

/// 50 MB: refused with one clear error before parsing, both as resources and as a config file
/// (the filter's `on_configure` path).
#[test]
fn fifty_megabyte_inputs_are_one_clear_error() {
    let mut text = config("");
    text.push_str(&"  # padding padding padding padding padding\n".repeat(1_200_000));
    assert!(text.len() > 50_000_000, "{}", text.len());
    let (res, diags) = timed("50 MB resources", Duration::from_secs(5), || {
        load(&[("huge.yaml", text.as_str())], &LoadOptions::default())
    });
    assert!(res.is_empty());
    assert_eq!(diags.len(), 1);
    assert_eq!(diags[0].code, codes::INPUT_LIMIT);
    assert!(
        diags[0]
            .message
            .contains("more than the limit of 33554432 bytes"),
        "{}",
        diags[0].message
    );
    let (cfg, diags) = timed("50 MB config file", Duration::from_secs(5), || {
        parse_config("huge.yaml", text.as_bytes(), &LoadOptions::default())
    });
    assert!(cfg.is_none());
    assert_eq!(diags.len(), 1, "{diags:?}");
    assert_eq!(diags[0].code, codes::INPUT_LIMIT);
    assert!(
        diags[0]
            .message
            .contains("more than the limit of 33554432 bytes"),
        "{}",
        diags[0].message
    );
    let err = prepare("huge.yaml", text.as_bytes(), &LoadOptions::default())
        .err()
        .expect("refused");
    assert!(err.iter().any(rejects));
}

/// One VirtualService with 100k routes: loads, validates, compiles and routes (first, middle,
/// last, none) in bounded time.
#[test]
fn virtual_service_with_100k_routes() {
    const N: usize = 100_000;
    let mut vs = String::from(
        "---\napiVersion: networking.istio.io/v1\nkind: VirtualService\nmetadata: {name: big, namespace: default}\nspec:\n  hosts: [big.example.com]\n  gateways: [istio-system/gw]\n  http:\n",
    );
    for i in 0..N {
        vs.push_str(&format!(
            "  - match: [{{uri: {{exact: /r{i}}}}}]\n    route: [{{destination: {{host: web}}}}]\n"
        ));
    }
    let text = config(&vs);
    println!("100k-route config: {} bytes", text.len());
    let p = timed(
        "100k routes: load + validate + compile",
        Duration::from_secs(120),
        || prepared(&text),
    );
    for (path, want) in [
        (&b"/r0"[..], WEB),
        (b"/r50000", WEB),
        (format!("/r{}", N - 1).as_bytes(), WEB),
        (b"/nope", None),
    ] {
        let d = timed(
            &format!("100k routes: route {}", String::from_utf8_lossy(path)),
            Duration::from_secs(2),
            || get(&p, b"big.example.com", path, &[]),
        );
        assert_eq!(endpoint(&d), want);
        if want.is_none() {
            assert_eq!(reply_kind(&d), Some(ReplyKind::NoRoute));
        }
    }
}

// ---- regexes --------------------------------------------------------------------------------

/// RE2 semantics: `(a+)+$` and friends are matched in linear time (the `regex` crate has no
/// backtracking), against 64 KB of `a`s with a non-matching tail.
#[test]
fn catastrophic_looking_regexes_stay_linear() {
    let p = prepared(&config(
        r#"---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: re, namespace: default}
spec:
  hosts: [re.example.com]
  gateways: [istio-system/gw]
  http:
  - match: [{headers: {x-a: {regex: "(a+)+$"}}}]
    route: [{destination: {host: admin}}]
  - match: [{headers: {x-a: {regex: "(a|aa)*c"}}}]
    route: [{destination: {host: admin}}]
  - match: [{uri: {regex: "/(a*)*(b|c)"}}]
    route: [{destination: {host: admin}}]
  - match: [{queryParams: {q: {regex: "(x+x+)+y"}}}]
    route: [{destination: {host: admin}}]
  - route: [{destination: {host: web}}]
"#,
    ));
    let mut a = vec![b'a'; 65_536];
    a.push(b'!');
    let mut path = b"/".to_vec();
    path.extend_from_slice(&a);
    let mut query = b"/?q=".to_vec();
    query.extend(std::iter::repeat_n(b'x', 65_536));
    let d = timed(
        "(a+)+$ and (a|aa)*c on 64 KB",
        Duration::from_secs(1),
        || get(&p, b"re.example.com", b"/", &[(b"x-a", &a)]),
    );
    assert_eq!(endpoint(&d), WEB);
    let d = timed(
        "/(a*)*(b|c) on a 64 KB path",
        Duration::from_secs(1),
        || get(&p, b"re.example.com", &path, &[]),
    );
    assert_eq!(endpoint(&d), WEB);
    let d = timed("(x+x+)+y on a 64 KB query", Duration::from_secs(1), || {
        get(&p, b"re.example.com", &query, &[])
    });
    assert_eq!(endpoint(&d), WEB);
    a.pop();
    let d = get(&p, b"re.example.com", b"/", &[(b"x-a", &a)]);
    assert_eq!(endpoint(&d), ADMIN, "(a+)+$ does match 64 KB of a's");
}

/// A regex whose compiled program would be huge is a validation error, not a slow compile.
#[test]
fn oversized_regex_is_a_clear_validation_error() {
    let text = config(
        r#"---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: re, namespace: default}
spec:
  hosts: [re.example.com]
  gateways: [istio-system/gw]
  http:
  - match: [{uri: {regex: "((a{100}){100}){100}"}}]
    route: [{destination: {host: web}}]
"#,
    );
    let err = timed("oversized regex", Duration::from_secs(10), || {
        prepare("re.yaml", text.as_bytes(), &LoadOptions::default())
    })
    .err()
    .expect("refused");
    let e = err.iter().find(|d| rejects(d)).expect("a rejecting error");
    println!("{e}");
    assert!(e.message.contains("regex"), "{e}");
}

// ---- headers and paths ------------------------------------------------------------------------

fn header_config() -> Prepared {
    prepared(&config(
        r#"---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: h, namespace: default}
spec:
  hosts: [h.example.com]
  gateways: [istio-system/gw]
  http:
  - match: [{headers: {x-user: {exact: admin}}}]
    route: [{destination: {host: admin}}]
  - match: [{uri: {prefix: /admin}}]
    route: [{destination: {host: admin}}]
  - match: [{uri: {exact: /x}}]
    route: [{destination: {host: admin}}]
  - route: [{destination: {host: web}}]
"#,
    ))
}

#[test]
fn huge_header_values_and_thousands_of_headers() {
    let p = header_config();
    let big = vec![b'v'; 65_536];
    let d = timed("64 KB header value", Duration::from_secs(1), || {
        get(&p, b"h.example.com", b"/", &[(b"x-user", &big)])
    });
    assert_eq!(endpoint(&d), WEB);
    // 5000 headers, the matcher's header last; repeated names are joined with ',' (Envoy).
    let names: Vec<Vec<u8>> = (0..5_000).map(|i| format!("x-h{i}").into_bytes()).collect();
    let mut hs: Vec<(&[u8], &[u8])> = names.iter().map(|n| (n.as_slice(), &b"1"[..])).collect();
    hs.push((b"x-user", b"admin"));
    let d = timed("5000 headers", Duration::from_secs(1), || {
        get(&p, b"h.example.com", b"/", &hs)
    });
    assert_eq!(endpoint(&d), ADMIN);
    // 2000 repeated `x-user` values of 64 bytes: joined value no longer equals `admin`.
    let rep: Vec<(&[u8], &[u8])> = (0..2_000)
        .map(|_| (&b"x-user"[..], &b"admin"[..]))
        .collect();
    let d = timed("2000 repeated headers", Duration::from_secs(1), || {
        get(&p, b"h.example.com", b"/", &rep)
    });
    assert_eq!(endpoint(&d), WEB, "admin,admin,… is not exactly admin");
}

#[test]
fn non_utf8_and_nul_bytes_in_headers_paths_and_authority() {
    let p = header_config();
    let d = get(
        &p,
        b"h.example.com",
        b"/admin\xff\x00",
        &[(b"x-user", b"adm\x00in")],
    );
    assert_eq!(endpoint(&d), ADMIN, "prefix /admin is a byte prefix");
    let d = get(
        &p,
        b"h.example.com",
        b"/\xc3\x28",
        &[(b"x-\xffuser", b"\xfe")],
    );
    assert_eq!(endpoint(&d), WEB);
    let d = get(&p, b"h.example.com", b"/x\x00", &[]);
    assert_eq!(endpoint(&d), WEB, "exact /x does not match /x<NUL>");
    // The authority is matched after lossy decoding: garbage finds the `*` host (the gateway
    // serves `*`), and matches no real name.
    let d = get(&p, b"h.example.com\x00", b"/admin", &[]);
    assert_ne!(endpoint(&d), ADMIN);
    let d = get(&p, b"\xff\xfe:99999999999999", b"/", &[]);
    assert!(matches!(reply_kind(&d), Some(ReplyKind::NoVirtualHost)) || endpoint(&d).is_none());
}

/// Core matches the bytes it is given; it does not decode `%xx` or resolve `..`. In Envoy the
/// bootstrap's `normalize_path: true` (Istio's BASE normalization) resolves dot segments and
/// decodes percent-encoded unreserved characters before the filter runs, so the filter sees
/// `/admin` for `/public/../admin` — exactly what Envoy's own router would see. Without
/// normalization the answers below are what Envoy's router would give too (plain string
/// prefixes).
#[test]
fn percent_encoded_and_dot_dot_paths_are_matched_as_given() {
    let p = header_config();
    for (path, want, why) in [
        (
            &b"/public/../admin"[..],
            WEB,
            "not normalized by core: no /admin prefix",
        ),
        (b"/%61dmin", WEB, "%61 is not decoded by core"),
        (
            b"/admin/../public",
            ADMIN,
            "prefix /admin, whatever follows",
        ),
        (b"/ADMIN", WEB, "prefix match is case-sensitive"),
        (
            b"/admin%2F..%2Fx",
            ADMIN,
            "an encoded slash is not a separator",
        ),
        (b"//admin", WEB, "slashes are not merged"),
        (b"/x?q=/admin", ADMIN, "the query is not part of the path"),
    ] {
        assert_eq!(
            endpoint(&get(&p, b"h.example.com", path, &[])),
            want,
            "{why}"
        );
    }
}

/// Absolute-form targets: Envoy (`allow_absolute_url: true`) moves the host into `:authority`
/// and leaves an origin-form `:path`. Should a full URL reach core as the path, it matches no
/// path that starts with `/`, and the URL's host never chooses the virtual host.
#[test]
fn absolute_form_targets_do_not_steer() {
    let p = header_config();
    let d = get(&p, b"h.example.com", b"http://admin.default.svc/admin", &[]);
    // Only the catch-all prefix `/` route could match; `http://…` does not start with `/`.
    assert_eq!(reply_kind(&d), Some(ReplyKind::NoRoute));
}

/// Host vs `:authority`: core routes by the authority it is given; the `host` header (and any
/// other header) does not choose the virtual host. (The filter passes `:authority`, falling
/// back to `host` only when `:authority` is empty; filter/tests/adversarial.rs.)
#[test]
fn a_host_header_does_not_override_the_authority() {
    let p = prepared(&config(
        r#"---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: a, namespace: default}
spec:
  hosts: [a.example.com]
  gateways: [istio-system/gw]
  http: [{route: [{destination: {host: web}}]}]
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: b, namespace: default}
spec:
  hosts: [admin.example.com]
  gateways: [istio-system/gw]
  http: [{route: [{destination: {host: admin}}]}]
"#,
    ));
    let d = get(
        &p,
        b"a.example.com",
        b"/",
        &[(b"host", b"admin.example.com")],
    );
    assert_eq!(endpoint(&d), WEB);
    let d = get(
        &p,
        b"A.EXAMPLE.COM:8080",
        b"/",
        &[(b"host", b"admin.example.com")],
    );
    assert_eq!(endpoint(&d), WEB, "host matching ignores case and port");
}

// ---- weights --------------------------------------------------------------------------------

/// Weights are int32 each and need not sum to 100: three near `i32::MAX` sum past `u32::MAX`.
/// Routing (with and without a trace) must neither overflow nor skew the split (fuzzing found a
/// debug-build overflow panic in the weighted-destination trace line).
#[test]
fn huge_weights_do_not_overflow() {
    let p = prepared(&config(
        r#"---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: w, namespace: default}
spec:
  hosts: [w.example.com]
  gateways: [istio-system/gw]
  http:
  - route:
    - {destination: {host: web}, weight: 2147483647}
    - {destination: {host: admin}, weight: 2147483647}
    - {destination: {host: web}, weight: 2147483647}
"#,
    ));
    let mut lb = LbState::for_table(&p.table);
    let mut rng = SplitMix64(9);
    let mut web = 0;
    for i in 0..3_000 {
        let req = Request {
            filter_chain: b"",
            listener_port: 8080,
            authority: b"w.example.com",
            path: b"/",
            method: b"GET",
            scheme: b"http",
            headers: &[],
            source_ip: None,
        };
        let d = decide(&p.table, &req, &mut lb, 0, &mut rng, i % 2 == 0);
        if endpoint(&d) == WEB {
            web += 1;
        }
    }
    assert!(
        (1_800..2_200).contains(&web),
        "web got {web} of 3000, want ~2000"
    );
}
