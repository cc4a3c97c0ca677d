//! Issue 5, points 8, 11 and 12 in real Envoy: load balancing, config reload without restart,
//! observability (meshroute counters and the access log); and the examples under
//! `examples/actions/` checking clean. Each test runs its example (the frontend pod's sidecar
//! calling demoapp).

mod actions_support;

use actions_support::{
    admin, by_pod, counter, get, get_with, settled_stats, start, write_example, DEMOAPP,
};
use meshroute_tests::harness::http::{self, parallel, Conn, Response};
use meshroute_tests::harness::{e2e_bins, eventually, repo_root, Reload};
use std::collections::BTreeSet;
use std::net::Ipv4Addr;
use std::process::Command;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

fn pod_of(r: &Response) -> String {
    assert_eq!(r.status, 200, "{}", r.summary());
    r.pod().unwrap_or("").to_string()
}

/// Point 8: ROUND_ROBIN (the top level, inherited by a subset without a policy), RANDOM,
/// LEAST_REQUEST, consistent hash by header, cookie (generated with `ttl`), query parameter
/// and source IP (clients bound to different 127.0.N.x addresses) — each subset overriding
/// the top-level policy.
#[test]
fn e2e_load_balancing_policies() {
    let Some(s) = start("e2e_load_balancing", "08-load-balancing", &[]) else {
        return;
    };
    let one_conn = |path: &str, n: usize| -> Vec<String> {
        let mut c = Conn::open(s.addr()).expect("connect");
        (0..n)
            .map(|_| pod_of(&c.request("GET", path, DEMOAPP, &[], true).expect("request")))
            .collect()
    };
    // ROUND_ROBIN on one connection (one worker): a strict rotation over the three pods.
    let seq = one_conn("/", 30);
    for w in seq.windows(4) {
        assert_eq!(w[0], w[3], "not a rotation: {seq:?}");
        assert_ne!(w[0], w[1], "not a rotation: {seq:?}");
    }
    assert_eq!(seq.iter().collect::<BTreeSet<_>>().len(), 3);
    // RANDOM: every pod, roughly evenly, but no rotation (repeats happen).
    let seq = one_conn("/random", 150);
    let counts = by_pod_names(&seq);
    println!("RANDOM: {counts:?}");
    assert_eq!(counts.len(), 3, "{counts:?}");
    assert!(counts.values().all(|&n| n >= 20), "{counts:?}");
    assert!(
        seq.windows(2).any(|w| w[0] == w[1]),
        "RANDOM looks like a rotation"
    );
    // LEAST_REQUEST: a slow pod gets clearly less of a concurrent load.
    let slow = s.pod("demoappv10-2");
    admin(slow, "/admin/latency?ms=150");
    let addr = s.addr();
    let rs: Vec<Response> = parallel(10, |_| {
        let mut c = Conn::open(addr).expect("connect");
        (0..20)
            .map(|_| {
                c.request("GET", "/least", DEMOAPP, &[], true)
                    .expect("request")
            })
            .collect::<Vec<_>>()
    })
    .into_iter()
    .flatten()
    .collect();
    admin(slow, "/admin/latency?ms=0");
    let counts = by_pod(&rs);
    println!("LEAST_REQUEST with demoappv10-2 slow: {counts:?}");
    let n = |p: &str| counts.get(p).copied().unwrap_or(0);
    // Round robin would give it a third (67 of 200); P2C on in-flight counts (per worker)
    // gives it clearly less.
    assert!(n("demoappv10-2") * 4 < rs.len(), "{counts:?}");
    for fast in ["demoappv10-1", "demoappv10-3"] {
        assert!(2 * n(fast) >= 3 * n("demoappv10-2"), "{counts:?}");
    }

    // Consistent hash by header: each user always on one pod (fresh connections: both
    // workers agree), users spread.
    let mut used = BTreeSet::new();
    for u in 0..10 {
        let user = format!("user-{u}");
        let pods: BTreeSet<_> = (0..5)
            .map(|_| pod_of(&get_with(&s, "/header", &[("x-user", &user)])))
            .collect();
        assert_eq!(pods.len(), 1, "{user}: {pods:?}");
        used.extend(pods);
    }
    assert!(used.len() >= 2, "every user on {used:?}");

    // By query parameter.
    let mut used = BTreeSet::new();
    for u in 0..10 {
        let path = format!("/query?user=u{u}&page=1");
        let pods: BTreeSet<_> = (0..5).map(|_| pod_of(&get(&s, &path))).collect();
        assert_eq!(pods.len(), 1, "{path}: {pods:?}");
        used.extend(pods);
    }
    assert!(used.len() >= 2, "every user on {used:?}");

    // By cookie: absent → generated (Set-Cookie with the ttl), and the client that sends it
    // back stays on the pod that answered the first request.
    let r = get(&s, "/cookie");
    let first = pod_of(&r);
    let set = r
        .header("set-cookie")
        .unwrap_or_else(|| panic!("no set-cookie: {:?}", r.headers));
    println!("generated: {set}");
    assert!(set.starts_with("session="), "{set}");
    assert!(set.contains("Max-Age=3600"), "{set}");
    assert!(set.contains("Path=/"), "{set}");
    assert!(set.contains("HttpOnly"), "{set}");
    let cookie = set.split(';').next().unwrap_or("").to_string();
    for _ in 0..6 {
        let r = get_with(
            &s,
            "/cookie",
            &[("cookie", &format!("theme=dark; {cookie}"))],
        );
        assert_eq!(pod_of(&r), first, "with {cookie}");
        assert_eq!(
            r.header("set-cookie"),
            None,
            "cookie present: none generated"
        );
    }
    let mut used = BTreeSet::new();
    for v in 0..10 {
        let cookie = format!("session=s{v}");
        let pods: BTreeSet<_> = (0..4)
            .map(|_| pod_of(&get_with(&s, "/cookie", &[("cookie", &cookie)])))
            .collect();
        assert_eq!(pods.len(), 1, "{cookie}: {pods:?}");
        used.extend(pods);
    }
    assert!(used.len() >= 2, "every cookie on {used:?}");

    // By source IP: clients bound to 127.0.N.101.. (each address on several connections).
    let mut used = BTreeSet::new();
    for h in 101..=110u8 {
        let src = Ipv4Addr::new(127, 0, s.net.n(), h);
        let pods: BTreeSet<_> = (0..4)
            .map(|_| {
                let mut c = Conn::open_from(src, s.addr()).expect("connect from source");
                let r = c
                    .request("GET", "/source", DEMOAPP, &[], false)
                    .expect("request");
                pod_of(&r)
            })
            .collect();
        assert_eq!(pods.len(), 1, "{src}: {pods:?}");
        used.extend(pods);
    }
    assert!(used.len() >= 2, "every source on {used:?}");
}

fn by_pod_names(seq: &[String]) -> std::collections::BTreeMap<String, usize> {
    let mut m = std::collections::BTreeMap::new();
    for p in seq {
        *m.entry(p.clone()).or_insert(0) += 1;
    }
    m
}

/// A reload that changes the config's endpoints updates them in place (each Envoy cluster reads
/// its endpoints from an EDS file of its own): the endpoints that stay keep their pooled
/// upstream connections, so the requests after the reload open none. (With the endpoints inside
/// the CDS cluster, the cluster was replaced and every connection opened again.)
#[test]
fn e2e_reload_keeps_the_pools_of_endpoints_that_stay() {
    let Some(mut s) = start("e2e_reload_pools", "11-reload-v1", &[]) else {
        return;
    };
    const CX: &str = "cluster.meshroute_upstream.upstream_cx_total";
    const MEMBERS: &str = "cluster.meshroute_upstream.membership_total";
    fn all_ok(s: &meshroute_tests::harness::Scenario, n: usize) {
        for _ in 0..n {
            assert_eq!(get(s, "/").status, 200);
        }
    }
    // Warm every worker's pool to every v1.0 pod (fresh downstream connections land on either
    // worker), then check that more requests open nothing.
    all_ok(&s, 200);
    let warm = counter(&s, CX);
    all_ok(&s, 40);
    assert_eq!(
        counter(&s, CX),
        warm,
        "no reload, yet new upstream connections"
    );
    let members = counter(&s, MEMBERS);
    // A new Service with one Pod: one more endpoint, the others unchanged.
    let routing = s.dir.path().join("actions/11-reload-v1/routing.yaml");
    let mut text = std::fs::read_to_string(&routing).expect("read");
    text.push_str(
        "---\napiVersion: v1\nkind: Service\nmetadata: {name: extra, namespace: default}\n\
         spec: {selector: {app: extra}, ports: [{name: http, port: 8080}]}\n---\n\
         apiVersion: v1\nkind: Pod\nmetadata: {name: extra-1, namespace: default, labels: {app: extra}}\n\
         status: {podIP: 127.0.99.99}\n",
    );
    std::fs::write(&routing, text).expect("write");
    let config = s.dir.path().join("actions/11-reload-v1.yaml");
    assert_eq!(s.envoy.reload(&config), Ok(Reload::Applied));
    let grew = eventually(Duration::from_secs(10), || {
        (counter(&s, MEMBERS) == members + 1).then_some(())
    });
    assert!(
        grew.is_some(),
        "the new endpoint never joined meshroute_upstream"
    );
    all_ok(&s, 40);
    assert_eq!(
        counter(&s, CX),
        warm,
        "the reload dropped the pooled upstream connections"
    );
}

/// Point 11: `meshroute bootstrap --reload` swaps in a new config (and the CDS file with the
/// new config's connection-pool cluster) without a restart and without a failed request, even
/// for requests in flight; a config with errors is refused — by the CLI with file:line:column,
/// and by the filter in Envoy's log with line:column — and the previous config keeps serving.
#[test]
fn e2e_config_reload_without_restart() {
    let Some(mut s) = start("e2e_config_reload", "11-reload-v1", &[]) else {
        return;
    };
    assert!(get(&s, "/")
        .pod()
        .is_some_and(|p| p.starts_with("demoappv10-")));
    let v2 = write_example("11-reload-v2", &s.net, s.dir.path()).expect("write v2");
    let stop = AtomicBool::new(false);
    let addr = s.addr();
    let (answers, reload) = std::thread::scope(|sc| {
        // Keep-alive and fresh-connection clients, and slow requests in flight across the swap.
        let keep = sc.spawn(|| {
            let mut c = Conn::open(addr).expect("connect");
            let mut out = Vec::new();
            while !stop.load(Ordering::Relaxed) {
                out.push(c.request("GET", "/", DEMOAPP, &[], true).expect("request"));
                std::thread::sleep(Duration::from_millis(5));
            }
            out
        });
        let fresh = sc.spawn(|| {
            let mut out = Vec::new();
            while !stop.load(Ordering::Relaxed) {
                out.push(http::get(addr, DEMOAPP, "/", &[]).expect("request"));
                std::thread::sleep(Duration::from_millis(5));
            }
            out
        });
        let slow: Vec<_> = (0..3)
            .map(|_| sc.spawn(|| http::get(addr, DEMOAPP, "/delay/1500", &[]).expect("slow")))
            .collect();
        std::thread::sleep(Duration::from_millis(300));
        let reload = s.envoy.reload(&v2);
        // Until the new config answers, then a little longer.
        let switched = eventually(Duration::from_secs(10), || {
            http::get(addr, DEMOAPP, "/", &[])
                .ok()
                .filter(|r| r.pod().is_some_and(|p| p.starts_with("demoappv11-")))
        });
        assert!(switched.is_some(), "v2 never served");
        std::thread::sleep(Duration::from_millis(300));
        stop.store(true, Ordering::Relaxed);
        let mut all = keep.join().expect("keep-alive client");
        all.extend(fresh.join().expect("fresh client"));
        let slow: Vec<_> = slow.into_iter().map(|h| h.join().expect("slow")).collect();
        for r in &slow {
            assert_eq!(r.status, 200, "in-flight request: {}", r.summary());
        }
        (all, reload)
    });
    assert_eq!(reload, Ok(Reload::Applied));
    let failed: Vec<_> = answers.iter().filter(|r| r.status != 200).collect();
    assert!(
        failed.is_empty(),
        "{} failed during the reload: {:?}",
        failed.len(),
        failed.iter().map(|r| r.summary()).collect::<Vec<_>>()
    );
    let counts = by_pod(&answers);
    println!("{} requests across the reload: {counts:?}", answers.len());
    assert!(counts.keys().any(|p| p.starts_with("demoappv10-")));
    assert!(counts.keys().any(|p| p.starts_with("demoappv11-")));
    // v2's DestinationRule has connection-pool settings: its cluster came with the CDS file.
    assert!(counter(&s, "cluster_manager.cds.update_success") >= 2);
    let r = get(&s, "/");
    assert_eq!(
        r.header("x-meshroute-cluster"),
        Some("outbound|8080|v11|demoapp.default.svc.cluster.local")
    );
    assert!(
        counter(
            &s,
            "cluster.outbound|8080|v11|demoapp.default.svc.cluster.local.upstream_rq_total"
        ) >= 1
    );

    // A config with an error: the CLI refuses it (file, line, column) and writes nothing.
    let routing = s.dir.path().join("actions/11-reload-v2/routing.yaml");
    let good = std::fs::read_to_string(&routing).expect("read");
    let bad = good.replacen("[{destination:", "[{destinaton:", 1);
    assert_ne!(good, bad);
    let (line, col) = position(&bad, "destinaton");
    std::fs::write(&routing, &bad).expect("write");
    let err = s
        .envoy
        .reload(&v2)
        .expect_err("the CLI accepted a broken config");
    let want = format!("11-reload-v2/routing.yaml:{line}:{col}) unknown field \"destinaton\"");
    assert!(err.contains(&want), "no {want:?} in:\n{err}");
    std::fs::write(&routing, &good).expect("write");

    // The same error written into the ECDS file behind the CLI's back: the filter refuses it,
    // Envoy's log says where (line and column of the plugin configuration), v2 keeps serving.
    let plugin =
        format!(
        "proxy: {{kind: sidecar, namespace: default, labels: {{app: frontend}}}}\nresources: |\n{}",
        [
            std::fs::read_to_string(s.dir.path().join("seed/demoapp.yaml")).expect("read"),
            std::fs::read_to_string(s.dir.path().join("actions/mesh/services.yaml")).expect("read"),
            bad.clone(),
        ]
        .join("\n---\n")
        .lines()
        .map(|l| if l.is_empty() { String::new() } else { format!("  {l}") })
        .collect::<Vec<_>>()
        .join("\n")
    );
    let (line, col) = position(&plugin, "destinaton");
    assert_eq!(s.envoy.set_plugin_config(&plugin), Ok(Reload::Rejected));
    let needle = format!("plugin-configuration:{line}:{col}) unknown field \"destinaton\"");
    assert!(
        s.envoy.wait_for_log(&needle, Duration::from_secs(5)),
        "no {needle:?} in Envoy's log:\n{}",
        meshroute_tests::harness::tail(&s.envoy.log(), 20)
    );
    for _ in 0..10 {
        let r = get(&s, "/");
        assert_eq!(r.status, 200, "{}", r.summary());
        assert!(
            r.pod().is_some_and(|p| p.starts_with("demoappv11-")),
            "{}",
            r.summary()
        );
    }
    s.assert_live();
}

/// 1-based line and column of the first `needle` in `text`.
fn position(text: &str, needle: &str) -> (usize, usize) {
    text.lines()
        .enumerate()
        .find_map(|(i, l)| l.find(needle).map(|c| (i + 1, c + 1)))
        .unwrap_or_else(|| panic!("no {needle:?}"))
}

/// Point 12: `/stats` (and `/stats/prometheus`) count requests per outcome, per VirtualService
/// route and per cluster; the access log has one line per request naming route, cluster and
/// endpoint.
#[test]
fn e2e_observability_counters_and_access_log() {
    let Some(s) = start("e2e_observability", "12-observability", &[]) else {
        return;
    };
    let plan: &[(&str, &str, usize, u16)] = &[
        (DEMOAPP, "/echo", 5, 200),
        (DEMOAPP, "/moved", 2, 301),
        (DEMOAPP, "/hello", 3, 200),
        (DEMOAPP, "/teapot", 2, 418),
        (DEMOAPP, "/slow", 2, 200),
        (DEMOAPP, "/nowhere", 2, 503),
        (DEMOAPP, "/none", 2, 404),
        ("nobody:8080", "/", 1, 502),
    ];
    let mut total = 0;
    for (host, path, n, status) in plan {
        for _ in 0..*n {
            let r = s.get(host, path);
            assert_eq!(r.status, *status, "{host}{path}: {}", r.summary());
            total += 1;
        }
    }
    let stats = settled_stats(&s, "wasmcustom\\.meshroute\\.");
    let c = |name: &str| {
        stats
            .get(&format!("wasmcustom.meshroute.{name}"))
            .copied()
            .unwrap_or(0)
    };
    for (outcome, n) in [
        ("forwarded", 7),
        ("redirect", 2),
        ("direct", 3),
        ("abort", 2),
        ("delay", 2),
        ("unavailable", 2),
        ("not_found", 2),
        ("passthrough", 1),
    ] {
        assert_eq!(c(&format!("requests.{outcome}")), n, "requests.{outcome}");
    }
    for (route, outcome, n) in [
        ("echo", "forwarded", 5),
        ("slow", "forwarded", 2),
        ("moved", "redirect", 2),
        ("hello", "direct", 3),
        ("teapot", "abort", 2),
        ("nowhere", "unavailable", 2),
    ] {
        let name = format!("route.default/demoapp.{route}.{outcome}");
        assert_eq!(c(&name), n, "{name}");
    }
    let v10 = "outbound|8080|v10|demoapp.default.svc.cluster.local";
    assert_eq!(c(&format!("cluster.{v10}.requests")), 7);
    let prom = http::get(s.envoy.admin_addr(), "localhost", "/stats/prometheus", &[])
        .expect("prometheus")
        .text();
    let prom_lines: Vec<&str> = prom
        .lines()
        .filter(|l| l.contains("meshroute_requests"))
        .collect();
    assert!(
        !prom_lines.is_empty(),
        "no meshroute counters in /stats/prometheus"
    );
    println!("{}", prom_lines.join("\n"));

    // One access-log line per request, naming route, cluster and endpoint.
    let log = eventually(Duration::from_secs(3), || {
        let l = s.envoy.access_log();
        (l.lines().count() >= total).then_some(l)
    })
    .unwrap_or_else(|| s.envoy.access_log());
    let lines: Vec<&str> = log.lines().collect();
    assert_eq!(lines.len(), total, "{log}");
    let pod_ips: Vec<String> = s.pods.iter().map(|p| p.addr.to_string()).collect();
    let echo: Vec<_> = lines.iter().filter(|l| l.contains("route=echo ")).collect();
    assert_eq!(echo.len(), 5);
    for l in &echo {
        assert!(l.contains("vs=default/demoapp"), "{l}");
        assert!(l.contains(&format!("cluster={v10} ")), "{l}");
        assert!(l.contains("outcome=forwarded"), "{l}");
        let ep = l
            .split("endpoint=")
            .nth(1)
            .and_then(|t| t.split(' ').next())
            .unwrap_or("");
        assert!(pod_ips.iter().any(|p| p == ep), "{l}");
        assert!(ep.starts_with(&s.net.prefix()), "{l}");
    }
    let moved: Vec<_> = lines
        .iter()
        .filter(|l| l.contains("route=moved "))
        .collect();
    assert_eq!(moved.len(), 2);
    assert!(moved
        .iter()
        .all(|l| l.contains("outcome=redirect") && l.contains("endpoint=-")));
    assert_eq!(
        lines.iter().filter(|l| l.contains("outcome=abort")).count(),
        2
    );
    assert_eq!(
        lines
            .iter()
            .filter(|l| l.contains("outcome=not_found"))
            .count(),
        2
    );
}

/// Every example under examples/actions/ checks clean with `meshroute check` (the topic's
/// resources with the seed's pods and the shared services). No Envoy needed.
#[test]
fn examples_actions_check_clean() {
    let Some(bins) = e2e_bins("examples_actions_check_clean") else {
        return;
    };
    let root = repo_root().join("examples");
    let mut topics: Vec<_> = std::fs::read_dir(root.join("actions"))
        .expect("examples/actions")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.is_dir() && p.file_name().is_some_and(|n| n != "mesh"))
        .collect();
    topics.sort();
    assert!(topics.len() >= 12, "{topics:?}");
    for t in topics {
        let out = Command::new(&bins.meshroute)
            .arg("check")
            .arg("-f")
            .arg(root.join("seed/demoapp.yaml"))
            .arg("-f")
            .arg(root.join("actions/mesh"))
            .arg("-f")
            .arg(&t)
            .output()
            .expect("run meshroute check");
        let text = String::from_utf8_lossy(&out.stdout).into_owned()
            + &String::from_utf8_lossy(&out.stderr);
        assert!(
            out.status.success() && text.contains("No validation issues"),
            "{}: {text}",
            t.display()
        );
        // And its config file exists and includes it.
        let cfg = t.with_extension("yaml");
        let name = t.file_name().and_then(|n| n.to_str()).unwrap_or("");
        let cfg_text = std::fs::read_to_string(&cfg).unwrap_or_default();
        assert!(
            cfg_text.contains(&format!("include: [../seed/demoapp.yaml, mesh, {name}]")),
            "{}",
            cfg.display()
        );
    }
}
