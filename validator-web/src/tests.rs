//! Native tests of the exported functions, on the seed walkthrough.
use super::*;

const SEED_FILES: [&str; 5] = [
    include_str!("../../examples/seed/ingress-gateway.yaml"),
    include_str!("../../examples/seed/gateway.yaml"),
    include_str!("../../examples/seed/virtualservice.yaml"),
    include_str!("../../examples/seed/destinationrule.yaml"),
    include_str!("../../examples/seed/demoapp.yaml"),
];

fn seed() -> String {
    SEED_FILES
        .iter()
        .map(|f| f.trim_end())
        .collect::<Vec<_>>()
        .join("\n---\n")
        + "\n"
}

fn seed_without_vs() -> String {
    [0, 1, 3, 4]
        .iter()
        .map(|&i| SEED_FILES[i].trim_end())
        .collect::<Vec<_>>()
        .join("\n---\n")
        + "\n"
}

fn parse(s: &str) -> Value {
    serde_json::from_str(s).unwrap_or_else(|e| panic!("not JSON ({e}): {s}"))
}

fn line_of(text: &str, needle: &str) -> u64 {
    text.lines()
        .position(|l| l.trim() == needle)
        .map(|i| i as u64 + 1)
        .unwrap_or_else(|| panic!("{needle:?} not in text"))
}

/// `Date.now()` on 1 January 2030.
const NOW: f64 = 1_893_456_000_000.0;

const GATEWAY: &str = r#"{"kind":"gateway","namespace":"istio-system","labels":{"app":"istio-ingressgateway","istio":"ingressgateway"}}"#;

#[test]
fn seed_validates_clean_with_eleven_resources() {
    let v = parse(&validate(&seed()));
    assert_eq!(v["errors"], 0, "{v}");
    assert_eq!(v["resources"], 11);
    assert_eq!(v["counts"]["Pod"], 6);
    assert_eq!(v["rejected"], false);
    assert_eq!(v["config"], false);
}

#[test]
fn subset_no_destination_rule_defines_is_ist0101_on_its_line() {
    let text = seed().replace(
        "        host: demoappv10\n",
        "        host: demoappv10\n        subset: v11\n",
    );
    let v = parse(&validate(&text));
    let d = &v["diagnostics"][0];
    assert_eq!(d["code"], "IST0101", "{v}");
    assert_eq!(d["severity"], "error");
    assert_eq!(d["kind"], "VirtualService");
    assert_eq!(d["namespace"], "default");
    assert_eq!(d["name"], "demoappv10");
    assert_eq!(d["path"], "spec.http[0].route[0].destination.subset");
    assert_eq!(d["line"], line_of(&text, "subset: v11"));
    assert_eq!(d["column"], 17);
    assert_eq!(d["columnUtf16"], 17);
    // IST0101 is an analyzer finding: Kubernetes would accept the object.
    assert_eq!(v["rejected"], false);
}

#[test]
fn columns_are_also_given_in_utf16_units() {
    // Two astral-plane characters before the error: 2 scalar values, 4 UTF-16 units.
    let text = "apiVersion: networking.istio.io/v1\nkind: DestinationRule\nmetadata: {name: web}\nspec: {host: \"😀😀\", bogus: 1}\n";
    let v = parse(&validate(text));
    let all = v["diagnostics"].as_array().cloned().unwrap_or_default();
    let d = all
        .iter()
        .find(|d| d["message"].as_str().is_some_and(|m| m.contains("bogus")))
        .unwrap_or_else(|| panic!("no unknown-field diagnostic: {v}"));
    assert_eq!(d["line"], 4, "{v}");
    let col = d["column"].as_u64().unwrap_or(0);
    assert_eq!(d["columnUtf16"].as_u64(), Some(col + 2), "{d}");
}

#[test]
fn unparsable_yaml_is_one_positioned_error_and_rejected() {
    let v = parse(&validate("kind: [unclosed\n"));
    assert_eq!(v["errors"], 1, "{v}");
    assert_eq!(v["diagnostics"][0]["code"], "MR0001");
    assert_eq!(v["rejected"], true);
}

#[test]
fn a_meshroute_config_file_is_accepted_too() {
    let mut cfg = String::from(
        "proxy:\n  kind: gateway\n  namespace: istio-system\n  labels: {app: istio-ingressgateway, istio: ingressgateway}\nresources: |\n",
    );
    let body = seed().replace(
        "        host: demoappv10\n",
        "        host: demoappv10.default.svc\n",
    );
    for l in body.lines() {
        cfg.push_str(&format!("  {l}\n"));
    }
    let v = parse(&validate(&cfg));
    assert_eq!(v["config"], true);
    assert_eq!(v["resources"], 11);
    let d = &v["diagnostics"][0];
    assert_eq!(d["code"], "IST0101", "{v}");
    assert_eq!(d["line"], line_of(&cfg, "host: demoappv10.default.svc"));
    // The config's proxy comes first in the picker and is the default for tables.
    let p = parse(&proxies(&cfg));
    assert_eq!(p[0]["source"], "the config file's proxy");
    let t = parse(&tables(&cfg, "", NOW));
    assert_eq!(t["proxy"]["namespace"], "istio-system");
    assert_eq!(t["listeners"][0]["name"], "0.0.0.0_8080");
}

#[test]
fn seed_implies_the_ingress_gateway_and_a_sidecar_in_default() {
    let p = parse(&proxies(&seed()));
    let list = p.as_array().cloned().unwrap_or_default();
    assert_eq!(list.len(), 2, "{p}");
    assert_eq!(list[0]["kind"], "gateway");
    assert_eq!(list[0]["namespace"], "istio-system");
    // The pod's labels, so the gateway Service (selector app+istio) maps port 80 → 8080.
    assert_eq!(list[0]["labels"]["app"], "istio-ingressgateway");
    assert_eq!(
        list[0]["name"],
        "gateway istio-system {app=istio-ingressgateway,istio=ingressgateway}"
    );
    assert_eq!(list[1]["kind"], "sidecar");
    assert_eq!(list[1]["namespace"], "default");
    assert_eq!(list[1]["source"], "workloads in default: 5 pods");
}

#[test]
fn proxies_is_never_empty() {
    let p = parse(&proxies(""));
    assert_eq!(p[0]["kind"], "sidecar");
    assert_eq!(p[0]["namespace"], "default");
}

#[test]
fn a_picker_entry_round_trips_as_the_proxy_argument() {
    let p = parse(&proxies(&seed()));
    let t = parse(&tables(&seed(), &p[0].to_string(), NOW));
    assert!(t.get("error").is_none(), "{t}");
    assert_eq!(t["listeners"][0]["port"], 8080);
}

#[test]
fn gateway_tables_of_the_seed() {
    let t = parse(&tables(&seed(), GATEWAY, NOW));
    assert_eq!(t["listeners"].as_array().map(Vec::len), Some(1), "{t}");
    assert_eq!(t["listeners"][0]["name"], "0.0.0.0_8080");
    assert_eq!(t["listeners"][0]["destination"], "Route: http.8080");
    let routes = t["routes"].as_array().cloned().unwrap_or_default();
    assert_eq!(routes.len(), 1, "{t}");
    assert_eq!(routes[0]["domains"][0], "demoappv10.magedu.com");
    assert_eq!(routes[0]["virtualService"], "demoappv10.default");
    let c = "outbound|8080||demoappv10.default.svc.cluster.local";
    let cl = t["clusters"].as_array().cloned().unwrap_or_default();
    let row = cl.iter().find(|r| r["name"] == c).cloned();
    let row = row.unwrap_or_else(|| panic!("no {c} in {t}"));
    assert_eq!(row["lb"]["lbPolicy"], "LEAST_REQUEST");
    assert_eq!(row["destinationRule"], "demoappv10.default");
    let eps: Vec<String> = t["endpoints"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|e| e["cluster"] == c)
        .map(|e| e["endpoint"].as_str().unwrap_or("").to_string())
        .collect();
    assert_eq!(
        eps,
        ["127.0.10.31:8080", "127.0.10.32:8080", "127.0.10.33:8080"]
    );
    // The graph: listener → vhost → route → weighted cluster.
    let g = &t["graph"]["listeners"][0];
    assert_eq!(g["routeConfig"], "http.8080");
    let dest = &g["virtualHosts"][0]["routes"][0]["destinations"][0];
    assert_eq!(dest["cluster"], c);
    assert_eq!(dest["weight"], 100);
    assert_eq!(dest["missing"], false);
}

#[test]
fn bad_proxy_arguments_are_errors_not_panics() {
    for p in [
        "{",
        "[]",
        r#"{"kind":"waypoint"}"#,
        r#"{"namespace":7}"#,
        r#"{"labels":{"a":1}}"#,
    ] {
        let t = parse(&tables(&seed(), p, NOW));
        assert!(t["error"].is_string(), "{p}: {t}");
        let s = parse(&simulate(&seed(), p, r#"{"url":"http://x/"}"#));
        assert!(s["error"].is_string(), "{p}: {s}");
    }
}

#[test]
fn simulate_seed_request_on_the_gateway() {
    let s = parse(&simulate(
        &seed(),
        GATEWAY,
        r#"{"url":"http://demoappv10.magedu.com/"}"#,
    ));
    assert_eq!(s["outcome"], "forward", "{s}");
    assert_eq!(
        s["cluster"],
        "outbound|8080||demoappv10.default.svc.cluster.local"
    );
    assert_eq!(s["listener"], "0.0.0.0_8080");
    assert_eq!(s["virtualService"], "default/demoappv10");
    assert_eq!(s["routeIndex"], 0);
    assert!(s["endpoint"]
        .as_str()
        .is_some_and(|e| e.starts_with("127.0.10.3")));
    assert!(s["trace"].as_array().is_some_and(|t| t.len() >= 3), "{s}");
}

#[test]
fn before_the_virtual_service_exists_the_gateway_answers_404() {
    let s = parse(&simulate(
        &seed_without_vs(),
        GATEWAY,
        r#"{"url":"http://demoappv10.magedu.com/"}"#,
    ));
    assert_eq!(s["status"], 404, "{s}");
    assert_eq!(s["outcome"], "local_reply");
    assert!(s["trace"].to_string().contains("blackhole"), "{s}");
}

#[test]
fn simulate_takes_method_headers_and_source_ip_in_every_shape() {
    let text = seed().replace(
        "  http:\n  - route:\n",
        "  http:\n  - match:\n    - headers: {x-canary: {exact: \"yes\"}}\n      method: {exact: POST}\n    directResponse: {status: 418}\n  - route:\n",
    );
    for headers in [
        r#"[{"name":"X-Canary","value":"yes"}]"#,
        r#"{"x-canary":"yes"}"#,
        r#"[["x-canary","yes"]]"#,
        r#""X-Canary: yes\n""#,
    ] {
        let req = format!(
            r#"{{"url":"demoappv10.magedu.com/a?b=1","method":"post","headers":{headers},"sourceIp":"10.0.0.1"}}"#
        );
        let s = parse(&simulate(&text, GATEWAY, &req));
        assert_eq!(s["status"], 418, "{headers}: {s}");
        assert_eq!(s["request"]["sourceIp"], "10.0.0.1");
        assert_eq!(s["request"]["path"], "/a?b=1");
    }
    let s = parse(&simulate(
        &text,
        GATEWAY,
        r#"{"url":"http://demoappv10.magedu.com/","headers":{"x-canary":"no"}}"#,
    ));
    assert_eq!(s["outcome"], "forward", "{s}");
}

#[test]
fn a_host_header_replaces_the_url_authority() {
    let s = parse(&simulate(
        &seed(),
        GATEWAY,
        r#"{"url":"http://127.0.10.2:80/","headers":"Host: demoappv10.magedu.com"}"#,
    ));
    assert_eq!(s["outcome"], "forward", "{s}");
}

#[test]
fn bad_requests_are_errors() {
    for (req, want) in [
        ("nope", "not JSON"),
        ("[1]", "JSON object"),
        ("{}", "url is required"),
        (r#"{"url":"ftp://x/"}"#, "scheme"),
        (r#"{"url":"http://x:99999/"}"#, "port"),
        (r#"{"url":"http://x/","sourceIp":"ten"}"#, "sourceIp"),
        (r#"{"url":"http://x/","headers":"no colon"}"#, "Name: value"),
        (r#"{"url":"http://x/","listenerPort":0}"#, "listenerPort"),
    ] {
        let s = parse(&simulate(&seed(), GATEWAY, req));
        let e = s["error"].as_str().unwrap_or("");
        assert!(e.contains(want), "{req}: {s}");
    }
}

#[test]
fn sidecar_routes_by_the_url_port() {
    let s = parse(&simulate(
        &seed(),
        r#"{"kind":"sidecar","namespace":"default"}"#,
        r#"{"url":"http://demoappv10:8080/"}"#,
    ));
    assert_eq!(
        s["cluster"], "outbound|8080||demoappv10.default.svc.cluster.local",
        "{s}"
    );
}

#[test]
fn urls_split_like_a_client_sends_them() {
    let u = parse_url("HTTP://u:p@h.com:81/a?b#f").unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        u,
        Url {
            scheme: "http".into(),
            authority: "h.com:81".into(),
            port: Some(81),
            path: "/a?b".into()
        }
    );
    let u = parse_url("[::1]:8080").unwrap_or_else(|e| panic!("{e}"));
    assert_eq!((u.port, u.path.as_str()), (Some(8080), "/"));
    let u = parse_url("h.com?x=1").unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(u.path, "/?x=1");
    assert!(parse_url("http:///x").is_err());
}

#[test]
fn a_thousand_resources_validate_natively_well_under_the_browser_budget() {
    let text = generated(1000);
    let t = std::time::Instant::now();
    let v = parse(&validate(&text));
    let ms = t.elapsed().as_millis();
    assert_eq!(v["resources"], 1000);
    assert_eq!(v["errors"], 0, "{}", v["diagnostics"][0]);
    eprintln!("native validate of 1000 resources: {ms} ms");
}

/// 250 × (Service, DestinationRule, VirtualService, Pod), all consistent.
pub(crate) fn generated(n: usize) -> String {
    let mut s = String::new();
    for i in 0..n / 4 {
        s.push_str(&format!(
            "apiVersion: v1\nkind: Service\nmetadata: {{name: svc{i}, namespace: default}}\nspec:\n  selector: {{app: app{i}}}\n  ports:\n  - {{name: http, port: 8080}}\n---\n\
apiVersion: networking.istio.io/v1\nkind: DestinationRule\nmetadata: {{name: svc{i}, namespace: default}}\nspec:\n  host: svc{i}\n  subsets:\n  - name: v1\n    labels: {{version: v1}}\n---\n\
apiVersion: networking.istio.io/v1\nkind: VirtualService\nmetadata: {{name: svc{i}, namespace: default}}\nspec:\n  hosts: [svc{i}]\n  http:\n  - match:\n    - uri: {{prefix: /v1}}\n    route:\n    - destination: {{host: svc{i}, subset: v1}}\n  - route:\n    - destination: {{host: svc{i}}}\n---\n\
apiVersion: v1\nkind: Pod\nmetadata: {{name: app{i}, namespace: default, labels: {{app: app{i}, version: v1}}}}\nspec: {{containers: [{{name: c, image: x}}]}}\nstatus: {{podIP: 10.1.{}.{}}}\n---\n",
            i / 200,
            i % 200 + 1
        ));
    }
    s
}

/// The Envoy tab: what `meshroute bootstrap` would write for the seed's gateway, from the same
/// library; the plugin configuration it embeds compiles, in core, to the table the tab shows.
#[test]
fn envoy_config_is_what_the_bootstrap_writes_and_its_plugin_config_round_trips() {
    let v = parse(&envoy_config(&seed(), ""));
    assert!(v.get("error").is_none(), "{v}");
    assert_eq!(v["proxy"]["kind"], "gateway");
    // The gateway Service maps 80 → 8080: the listener the proxy has.
    assert_eq!(v["listen"], "0.0.0.0:8080");
    let files = v["files"].as_array().unwrap();
    let paths: Vec<&str> = files.iter().map(|f| f["path"].as_str().unwrap()).collect();
    assert_eq!(
        &paths[..4],
        [
            "envoy.yaml",
            "ecds/meshroute.yaml",
            "cds/clusters.yaml",
            "cds/listeners.yaml"
        ]
    );
    assert!(
        paths[4].starts_with("cds/eds-meshroute_upstream-"),
        "{paths:?}"
    );
    let text = |i: usize| files[i]["text"].as_str().unwrap();
    // The bootstrap is JSON after its comment header; the listeners come from the LDS file.
    let boot: Value = serde_json::from_str(
        &text(0)
            .lines()
            .filter(|l| !l.starts_with('#'))
            .collect::<String>(),
    )
    .unwrap();
    // Listeners come from the LDS file: one per port the gateway listens on.
    assert!(
        boot["dynamic_resources"]["lds_config"].is_object(),
        "{boot}"
    );
    let lds = files
        .iter()
        .find(|f| f["path"] == "cds/listeners.yaml")
        .unwrap_or_else(|| panic!("no LDS file: {paths:?}"));
    let lds = parse(lds["text"].as_str().unwrap());
    assert_eq!(
        lds["resources"][0]["address"]["socket_address"]["port_value"],
        8080
    );
    // The shared cluster holds every endpoint of the config: three demoapp v1.0 pods, two v1.1.
    let eds = parse(text(4));
    assert_eq!(
        eds["resources"][0]["endpoints"][0]["lb_endpoints"]
            .as_array()
            .unwrap()
            .len(),
        5
    );
    // The embedded filter configuration is a config the filter accepts, for the same proxy.
    let ecds = parse(text(1));
    let plugin = ecds["resources"][0]["typed_config"]["config"]["configuration"]["value"]
        .as_str()
        .unwrap();
    let prepared =
        meshroute_core::check::prepare("ecds", plugin.as_bytes(), &LoadOptions::default())
            .unwrap_or_else(|d| panic!("the filter would refuse it: {d:?}"));
    assert_eq!(prepared.config.proxy.kind, ProxyKind::Gateway);
    let (table, _) = compile(&load(&seed(), false).res, &prepared.config.proxy);
    let names = |t: &RouteTable| {
        t.clusters
            .iter()
            .map(|c| c.name.clone())
            .collect::<Vec<_>>()
    };
    assert_eq!(names(&prepared.table), names(&table));
    // --native: the routes themselves, with the seed's cluster.
    assert!(v["native"]["text"]
        .as_str()
        .unwrap()
        .contains("outbound|8080||demoappv10.default.svc.cluster.local"));
}

#[test]
fn envoy_config_refuses_what_the_bootstrap_refuses() {
    let bad = "apiVersion: networking.istio.io/v1\nkind: VirtualService\nmetadata: {name: vs}\nspec:\n  hosts: [web]\n  http:\n  - route:\n    - destination: {host: web}\n      weight: -1\n";
    let v = parse(&envoy_config(bad, ""));
    assert_eq!(v["refused"], true, "{v}");
    let v = parse(&envoy_config(&seed(), "{\"kind\": \"router\"}"));
    assert!(v["error"].as_str().unwrap().contains("proxy.kind"), "{v}");
}

#[test]
fn envoy_config_of_a_config_file_keeps_its_keys_and_takes_the_chosen_proxy() {
    let cfg = format!(
        "proxy: {{kind: gateway, namespace: istio-system, labels: {{istio: ingressgateway}}}}\nlistenerPort: 8080\nresources: |\n{}",
        seed().lines().map(|l| format!("  {l}\n")).collect::<String>()
    );
    let v = parse(&envoy_config(&cfg, ""));
    let ecds = parse(v["files"][1]["text"].as_str().unwrap());
    let plugin = parse(
        ecds["resources"][0]["typed_config"]["config"]["configuration"]["value"]
            .as_str()
            .unwrap(),
    );
    assert_eq!(plugin["listenerPort"], 8080);
    assert_eq!(plugin["accessLogState"], false);
    let sidecar = parse(&envoy_config(
        &cfg,
        "{\"kind\": \"sidecar\", \"namespace\": \"default\"}",
    ));
    let ecds = parse(sidecar["files"][1]["text"].as_str().unwrap());
    let plugin = parse(
        ecds["resources"][0]["typed_config"]["config"]["configuration"]["value"]
            .as_str()
            .unwrap(),
    );
    assert_eq!(plugin["proxy"]["kind"], "sidecar");
    let inc = parse(&envoy_config(
        "proxy: {kind: sidecar}\ninclude: [x.yaml]\nresources: []\n",
        "",
    ));
    assert!(
        inc["error"].as_str().unwrap_or("").contains("include"),
        "{inc}"
    );
}

/// The Gateway API example: its Gateway implies the proxy Istio deploys for it, and that proxy
/// routes the example's HTTPRoutes.
#[test]
fn a_gateway_api_gateway_implies_its_proxy_which_routes_its_httproutes() {
    let text = [
        include_str!("../../examples/seed/demoapp.yaml"),
        include_str!("../../examples/gateway-api/resources/gateway.yaml"),
        include_str!("../../examples/gateway-api/resources/routes.yaml"),
    ]
    .join("\n---\n");
    let v = parse(&validate(&text));
    assert_eq!(v["counts"]["HTTPRoute"], 2, "{v}");
    let p = parse(&proxies(&text));
    let gw = p
        .as_array()
        .and_then(|l| {
            l.iter()
                .find(|e| e["source"] == "Gateway API Gateway default/shop")
        })
        .cloned()
        .unwrap_or_else(|| panic!("no proxy for the Gateway API Gateway: {p}"));
    assert_eq!(
        gw["labels"]["gateway.networking.k8s.io/gateway-name"],
        "shop"
    );
    let s = parse(&simulate(
        &text,
        &gw.to_string(),
        r#"{"url":"http://shop.example.com/old/x"}"#,
    ));
    assert_eq!(s["status"], 301, "{s}");
    assert_eq!(s["location"], "http://shop.example.com/new/x");
    assert_eq!(s["listener"], "0.0.0.0_80");
}

#[test]
fn run_tests_reports_pass_fail_and_coverage_like_the_cli() {
    let tests = "proxy: {kind: gateway, namespace: istio-system, labels: {istio: ingressgateway}}\ntests:\n- name: the seed host reaches demoapp\n  request: {url: \"http://demoappv10.magedu.com/\"}\n  expect: {forwarded: true, virtualService: default/demoappv10}\n- name: wrong\n  request: {url: \"http://demoappv10.magedu.com/\"}\n  expect: {status: 404}\n";
    let v = parse(&run_tests(&seed(), tests));
    assert_eq!(
        (v["passed"].as_u64(), v["failed"].as_u64()),
        (Some(1), Some(1)),
        "{v}"
    );
    assert_eq!(v["results"][1]["failures"][0]["assertion"], "status");
    assert!(v["results"][1]["trace"]
        .as_array()
        .is_some_and(|t| !t.is_empty()));
    assert_eq!(
        v["coverage"]["all"]["covered"],
        v["coverage"]["all"]["total"]
    );
    assert!(v["text"]
        .as_str()
        .unwrap_or("")
        .contains("1 passed, 1 failed"));
    let bad = parse(&run_tests(
        &seed(),
        "tests:\n- request: {url: x}\n  expect: {stauts: 1}\n",
    ));
    assert_eq!(bad["diagnostics"][0]["code"], "MR0101", "{bad}");
}

#[test]
fn diff_reports_the_requests_a_change_routes_differently() {
    let old = seed();
    let new = old.replacen("  http:\n", "  http:\n  - name: maintenance\n    match: [{uri: {prefix: /admin}}]\n    directResponse: {status: 503}\n", 1);
    assert_ne!(old, new);
    let v = parse(&diff(&old, &new));
    assert_eq!(v["changedRequests"], 1, "{v}");
    let req = &v["proxies"][0]["requests"][0];
    assert_eq!(req["request"], "GET http://demoappv10.magedu.com/admin");
    assert_eq!(
        req["after"],
        "local reply 503 [route \"maintenance\" of default/demoappv10]"
    );
    assert_eq!(
        req["location"]["line"],
        line_of(&new, "match: [{uri: {prefix: /admin}}]")
    );
    assert!(v["markdown"]
        .as_str()
        .unwrap_or("")
        .starts_with("### meshroute diff: 1 request"));
    assert_eq!(parse(&diff(&old, &old))["changedRequests"], 0);
}

// ---------------------------------------------------------------------------------------------
// HTTPS: the Envoy tab never shows a private key or a whole certificate

/// A self-signed certificate and its key (PEM), valid 2020–2040.
fn certificate(cn: &str) -> (String, String) {
    let key = rcgen::KeyPair::generate().unwrap();
    let mut p = rcgen::CertificateParams::new(vec![cn.to_string()]).unwrap();
    p.not_before = rcgen::date_time_ymd(2020, 1, 1);
    p.not_after = rcgen::date_time_ymd(2040, 1, 1);
    (p.self_signed(&key).unwrap().pem(), key.serialize_pem())
}

/// The seed with an HTTPS server (443 → 8443) using a `credentialName` Secret; `data: true`
/// writes the Secret base64 in `data`, else as PEM in `stringData`.
fn seed_with_tls_secret(cert: &str, key: &str, data: bool) -> String {
    fn b64(s: &str) -> String {
        const T: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
        let b = s.as_bytes();
        let mut out = String::new();
        for c in b.chunks(3) {
            let n = (u32::from(c[0]) << 16)
                | (u32::from(*c.get(1).unwrap_or(&0)) << 8)
                | u32::from(*c.get(2).unwrap_or(&0));
            for i in 0..4 {
                out.push(if i <= c.len() {
                    T[(n >> (18 - 6 * i) & 63) as usize] as char
                } else {
                    '='
                });
            }
        }
        out
    }
    let block = |k: &str, v: &str| {
        format!(
            "  {k}: |\n{}",
            v.lines().map(|l| format!("    {l}\n")).collect::<String>()
        )
    };
    let secret = if data {
        format!("data:\n  tls.crt: {}\n  tls.key: {}\n", b64(cert), b64(key))
    } else {
        format!(
            "stringData:\n{}{}",
            block("tls.crt", cert),
            block("tls.key", key)
        )
    };
    // The seed's gateway Service already maps 443 to 8443.
    let text = seed().replace(
            "    hosts:\n    - demoappv10.magedu.com\n",
            "    hosts:\n    - demoappv10.magedu.com\n  - port: {number: 443, name: https, protocol: HTTPS}\n    hosts: [demoappv10.magedu.com]\n    tls: {mode: SIMPLE, credentialName: demoapp-cert}\n",
        );
    assert!(
        text.contains("number: 443") && text.contains("targetPort: 8443"),
        "the seed changed:\n{text}"
    );
    format!("{text}---\napiVersion: v1\nkind: Secret\nmetadata: {{name: demoapp-cert, namespace: istio-system}}\ntype: kubernetes.io/tls\n{secret}")
}

#[test]
fn nothing_the_page_gets_holds_a_private_key_or_a_whole_certificate() {
    let (cert, key) = certificate("demoappv10.magedu.com");
    let fingerprint = meshroute_core::certs::parse_certificates(cert.as_bytes()).unwrap()[0]
        .sha256
        .clone();
    for data in [false, true] {
        let text = seed_with_tls_secret(&cert, &key, data);
        let v = parse(&validate(&text));
        assert_eq!(v["errors"], 0, "{v}");
        let outputs = [
            envoy_config(&text, ""),
            tables(&text, "", NOW),
            simulate(&text, "", r#"{"url": "https://demoappv10.magedu.com/"}"#),
            validate(&text),
        ];
        // A line of the key's and of the certificate's base64 (PEM's 64 characters a line).
        let key_line = key.lines().nth(1).unwrap();
        let cert_line = cert.lines().nth(1).unwrap();
        for out in &outputs {
            for leak in ["PRIVATE KEY", "BEGIN CERTIFICATE", key_line, cert_line] {
                assert!(
                    !out.contains(leak),
                    "{leak} in {}",
                    &out[..out.len().min(300)]
                );
            }
        }
        // The Envoy tab has the LDS file with the TLS chain and the SDS file, redacted.
        let v = parse(&outputs[0]);
        assert!(v.get("error").is_none(), "{v}");
        assert_eq!(v["redacted"], true);
        let files = v["files"].as_array().unwrap();
        let lds = files
            .iter()
            .find(|f| f["path"] == "cds/listeners.yaml")
            .unwrap();
        assert!(lds["text"]
            .as_str()
            .unwrap()
            .contains("https.443.https.demoappv10-gateway.istio-system"));
        let sds: Vec<&Value> = files
            .iter()
            .filter(|f| {
                f["path"]
                    .as_str()
                    .is_some_and(|p| p.starts_with("cds/sds-"))
            })
            .collect();
        assert_eq!(sds.len(), 1, "{files:?}");
        let sds = parse(sds[0]["text"].as_str().unwrap());
        let tc = &sds["resources"][0]["tls_certificate"];
        assert_eq!(tc["private_key"]["inline_string"], redact::KEY_PLACEHOLDER);
        let chain = tc["certificate_chain"]["inline_string"].as_str().unwrap();
        assert!(
            chain.contains(&fingerprint) && chain.contains("CN=rcgen self signed cert"),
            "{chain}"
        );
        // The ECDS file's embedded Secret names the certificate by fingerprint too.
        assert!(files[1]["text"].as_str().unwrap().contains(&fingerprint));
        // The proxy-config tabs: a row per filter chain and the Secrets table.
        let t = parse(&outputs[1]);
        let matches: Vec<&str> = t["listeners"]
            .as_array()
            .unwrap()
            .iter()
            .map(|l| l["match"].as_str().unwrap())
            .collect();
        assert_eq!(
            matches,
            ["ALL", "SNI: demoappv10.magedu.com; Trans: tls (SIMPLE)"]
        );
        let s = &t["secrets"][0];
        assert_eq!(s["resourceName"], "kubernetes://demoapp-cert");
        assert_eq!(
            (
                s["type"].as_str(),
                s["status"].as_str(),
                s["validCert"].as_bool()
            ),
            (Some("Cert Chain"), Some("ACTIVE"), Some(true))
        );
        assert_eq!(s["sha256"], fingerprint.as_str());
        assert_eq!(s["notAfter"], "2040-01-01T00:00:00Z");
    }
}

#[test]
fn a_key_that_is_not_the_certificates_is_refused_in_the_envoy_tab_too() {
    let (cert, _) = certificate("demoappv10.magedu.com");
    let (_, other) = certificate("other");
    let text = seed_with_tls_secret(&cert, &other, false);
    let v = parse(&envoy_config(&text, ""));
    assert_eq!(v["refused"], true, "{v}");
    let t = parse(&tables(&text, "", NOW));
    assert_eq!(t["secrets"][0]["status"], "WARMING");
    assert!(
        t["diagnostics"]
            .as_array()
            .unwrap()
            .iter()
            .any(|d| d["code"] == "MR0504"),
        "{t}"
    );
    // After its validity the certificate is not valid, and the tables say so.
    let t = parse(&tables(
        &seed_with_tls_secret(&cert, &certificate("x").1, false),
        "",
        2_300_000_000_000.0,
    ));
    assert!(
        t["diagnostics"]
            .as_array()
            .unwrap()
            .iter()
            .any(|d| d["code"] == "MR0505"),
        "{t}"
    );
    // Without a time (NaN from JavaScript) nothing is said about validity.
    let t = parse(&tables(&text, "", f64::NAN));
    assert!(t["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .all(|d| d["code"] != "MR0505"));
}
