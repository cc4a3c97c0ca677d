//! Bounded soak (issue 9): mixed load through stock Envoy running the meshroute filter while the
//! config is reloaded every 15 s (two valid configs, alternating) and one backend pod is killed
//! and restarted every minute. Loopback only (the harness's private 127.0.N.0/24 range).
//!
//! ```sh
//! cargo build -p meshroute-filter --target wasm32-wasip1 --profile wasm-release
//! cargo build -p meshroute-cli -p demoapp
//! cargo run -p meshroute-tests --bin soak -- --minutes 10   # the recorded run
//! cargo run -p meshroute-tests --bin soak -- --minutes 1    # smoke
//! ```
//!
//! Counts requests, the errors the config itself produces (a 100 % `555` abort route, 404 for
//! an unknown host), errors from the killed pod while it is down (the response's
//! `x-meshroute-endpoint` names it; retries go to the same endpoint, docs/FEATURES.md, so
//! outlier detection is what keeps these few), and every other error — which must be zero. Also
//! `wasm.meshroute.vm_reload` and wasm errors in Envoy's log (must stay 0), and Envoy's RSS after
//! warm-up vs at the end (growth must stay < 5 %). Exits non-zero when an assertion fails.

use meshroute_tests::harness::seed::{config, ingress_gateway_docs, write, GATEWAY_PROXY};
use meshroute_tests::harness::{http, Bins, Demoapp, Envoy, EnvoyOptions, Net, Reload, TempDir};
use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

const HOST: &str = "soak.example.com";
/// (name, app, version, host octet)
const PODS: [(&str, &str, &str, u8); 5] = [
    ("a-v1-1", "a", "v1", 31),
    ("a-v1-2", "a", "v1", 32),
    ("a-v2-1", "a", "v2", 33),
    ("b-1", "b", "v1", 41),
    ("b-2", "b", "v1", 42),
];
/// The pod killed and restarted every minute (`a-v1-2`).
const VICTIM: usize = 1;
/// Seconds into each minute when the victim is killed, and how long it stays down.
const KILL_AT: u64 = 30;
const DOWN_FOR: u64 = 10;
/// After the restart, answers that still name the victim with an error count as "backend
/// down" for this long (requests in flight across the restart, outlier ejection ending).
const GRACE: Duration = Duration::from_secs(2);

fn resources(net: &Net, variant: u8) -> String {
    let mut docs = vec![ingress_gateway_docs(net)];
    for app in ["a", "b"] {
        docs.push(format!(
            "apiVersion: v1\nkind: Service\nmetadata: {{name: svc-{app}, namespace: default}}\nspec:\n  selector: {{app: {app}}}\n  ports: [{{name: http, port: 8080}}]\n"
        ));
    }
    for (name, app, version, h) in PODS {
        docs.push(format!(
            "apiVersion: v1\nkind: Pod\nmetadata: {{name: {name}, namespace: default, labels: {{app: {app}, version: {version}}}}}\nstatus: {{podIP: {}}}\n",
            net.ip(h)
        ));
    }
    docs.push(format!(
        "apiVersion: networking.istio.io/v1\nkind: Gateway\nmetadata: {{name: gw, namespace: istio-system}}\nspec:\n  selector: {{istio: ingressgateway}}\n  servers:\n  - port: {{number: 80, name: http, protocol: HTTP}}\n    hosts: [{HOST}]\n"
    ));
    // Outlier detection ejects the killed pod after one 5xx for 5 s at a time.
    let od = "outlierDetection: {consecutive5xxErrors: 1, interval: 1s, baseEjectionTime: 5s, maxEjectionPercent: 100}";
    docs.push(format!(
        "apiVersion: networking.istio.io/v1\nkind: DestinationRule\nmetadata: {{name: svc-a, namespace: default}}\nspec:\n  host: svc-a\n  trafficPolicy:\n    loadBalancer: {{simple: {}}}\n    {od}\n  subsets:\n  - {{name: v1, labels: {{version: v1}}}}\n  - {{name: v2, labels: {{version: v2}}}}\n",
        if variant == 0 { "ROUND_ROBIN" } else { "LEAST_REQUEST" }
    ));
    docs.push(format!(
        "apiVersion: networking.istio.io/v1\nkind: DestinationRule\nmetadata: {{name: svc-b, namespace: default}}\nspec:\n  host: svc-b\n  trafficPolicy:\n    {od}\n"
    ));
    let vs = if variant == 0 {
        "  - name: abort\n    match: [{uri: {prefix: /abort}}]\n    fault: {abort: {httpStatus: 555, percentage: {value: 100}}}\n    route: [{destination: {host: svc-a}}]\n  - name: canary\n    match: [{headers: {x-canary: {exact: \"1\"}}}]\n    route: [{destination: {host: svc-a, subset: v2}}]\n  - name: b\n    match: [{uri: {prefix: /b}}]\n    route: [{destination: {host: svc-b}}]\n  - name: redirect\n    match: [{uri: {exact: /old}}]\n    redirect: {uri: /new}\n  - name: default\n    route:\n    - {destination: {host: svc-a, subset: v1}, weight: 90}\n    - {destination: {host: svc-a, subset: v2}, weight: 10}\n"
    } else {
        "  - name: abort\n    match: [{uri: {prefix: /abort}}]\n    fault: {abort: {httpStatus: 555, percentage: {value: 100}}}\n    route: [{destination: {host: svc-b}}]\n  - name: b\n    match: [{uri: {regex: \"/b(/.*)?\"}}]\n    route:\n    - {destination: {host: svc-b}, weight: 50}\n    - {destination: {host: svc-a, subset: v1}, weight: 50}\n  - name: canary\n    match: [{headers: {x-canary: {}}}]\n    headers: {request: {set: {x-soak: b}}}\n    route: [{destination: {host: svc-a}}]\n  - name: redirect\n    match: [{uri: {prefix: /old}}]\n    redirect: {uri: /new, redirectCode: 308}\n  - name: default\n    route: [{destination: {host: svc-a, subset: v1}}]\n"
    };
    docs.push(format!(
        "apiVersion: networking.istio.io/v1\nkind: VirtualService\nmetadata: {{name: soak, namespace: default}}\nspec:\n  hosts: [{HOST}]\n  gateways: [istio-system/gw]\n  http:\n{vs}"
    ));
    docs.join("---\n")
}

/// Down intervals of the victim: (killed at, up again at — `None` while down).
type Downs = Arc<Mutex<Vec<(Instant, Option<Instant>)>>>;

#[derive(Default, Debug)]
struct Counts {
    requests: u64,
    ok: u64,
    /// 555 on /abort, 404 on the unknown host, 301/308 redirects: what the config produces.
    config_replies: u64,
    /// 5xx naming the victim while it was down (or within GRACE of its restart).
    backend_down: u64,
    unexpected: u64,
    samples: Vec<String>,
}

fn victim_down(downs: &Downs, started: Instant, ended: Instant) -> bool {
    downs
        .lock()
        .map(|d| {
            d.iter()
                .any(|(from, to)| ended >= *from && to.is_none_or(|t| started <= t + GRACE))
        })
        .unwrap_or(false)
}

fn load(
    worker: usize,
    addr: SocketAddr,
    victim: String,
    downs: Downs,
    stop: Arc<AtomicBool>,
) -> Counts {
    let mut c = Counts::default();
    let mut conn: Option<http::Conn> = None;
    let mut i: u64 = worker as u64;
    while !stop.load(Ordering::Relaxed) {
        i += 1;
        // Paced (≤ ~1,000 requests/s per worker) so a 10-minute run leaves the shared cores
        // some room; the point is duration and churn, not throughput.
        std::thread::sleep(Duration::from_millis(1));
        // A fixed mix: mostly routed traffic, some config replies, an unknown host.
        let (host, path, hdrs): (&str, &str, &[(&str, &str)]) = match i % 10 {
            0 => (HOST, "/abort", &[]),
            1 => ("unknown.example.com", "/", &[]),
            2 | 3 => (HOST, "/b/x", &[]),
            4 => (HOST, "/", &[("x-canary", "1")]),
            5 => (HOST, "/old", &[]),
            _ => (HOST, "/index", &[]),
        };
        let started = Instant::now();
        let r = match conn.as_mut() {
            Some(c) => c.request("GET", path, host, hdrs, true),
            None => http::Conn::open(addr).and_then(|mut n| {
                let r = n.request("GET", path, host, hdrs, true);
                conn = Some(n);
                r
            }),
        };
        let ended = Instant::now();
        c.requests += 1;
        match r {
            Err(e) => {
                conn = None;
                c.unexpected += 1;
                if c.samples.len() < 10 {
                    c.samples.push(format!("{host}{path}: {e}"));
                }
            }
            Ok(r) => {
                if r.header("connection") == Some("close") {
                    conn = None;
                }
                let expected_reply = (path == "/abort" && r.status == 555)
                    || (host != HOST && r.status == 404)
                    || (path == "/old" && (r.status == 301 || r.status == 308));
                if expected_reply {
                    c.config_replies += 1;
                } else if r.status == 200 && r.pod().is_some() && host == HOST {
                    c.ok += 1;
                } else if r.status >= 500
                    && r.header("x-meshroute-endpoint") == Some(victim.as_str())
                    && victim_down(&downs, started, ended)
                {
                    c.backend_down += 1;
                } else {
                    c.unexpected += 1;
                    if c.samples.len() < 10 {
                        c.samples.push(format!(
                            "{host}{path}: {} endpoint={:?}",
                            r.summary(),
                            r.header("x-meshroute-endpoint")
                        ));
                    }
                }
            }
        }
    }
    c
}

fn wasm_log_errors(log: &str) -> usize {
    log.lines()
        .filter(|l| {
            let l = l.to_ascii_lowercase();
            (l.contains("wasm") && (l.contains("[error]") || l.contains("[critical]")))
                || l.contains("panicked")
        })
        .count()
}

fn run(minutes: u64) -> Result<bool, String> {
    let bins = Bins::locate()?;
    let net = Net::claim()?;
    let dir = TempDir::new("soak").map_err(|e| e.to_string())?;
    let cfg = |v: u8| {
        write(
            dir.path(),
            &format!("soak-{v}.yaml"),
            &config(GATEWAY_PROXY, Some(8080), true, &resources(&net, v)),
        )
        .map_err(|e| e.to_string())
    };
    let configs = [cfg(0)?, cfg(1)?];
    let start_pod = |i: usize| {
        let (name, _, version, h) = PODS[i];
        Demoapp::start(&bins, net.addr(h, 8080), version, name, &["--quiet"])
    };
    let mut pods: Vec<Option<Demoapp>> = (0..PODS.len())
        .map(|i| start_pod(i).map(Some))
        .collect::<Result<_, _>>()?;
    let mut envoy = Envoy::start(
        &bins,
        EnvoyOptions::new(&configs[0])
            .listener_port(8080)
            .concurrency(2)
            .access_log(false),
    )?;
    let victim = net.addr(PODS[VICTIM].3, 8080).to_string();
    let downs: Downs = Arc::new(Mutex::new(Vec::new()));
    let stop = Arc::new(AtomicBool::new(false));
    let addr = envoy.addr();
    let total = Duration::from_secs(minutes * 60);
    // Warm-up: the first minute (a quarter of a 1-minute smoke run), i.e. after the first
    // reloads and the first kill/restart have allocated what they allocate.
    let warmup = if minutes > 1 {
        Duration::from_secs(75)
    } else {
        Duration::from_secs(15)
    };
    println!(
        "soak: {minutes} min, Envoy {} (pid {:?}), pods on {}0/24, victim {victim}",
        addr,
        envoy.pid(),
        net.prefix()
    );
    let t0 = Instant::now();
    let workers: Vec<_> = (0..2)
        .map(|w| {
            let (victim, downs, stop) = (victim.clone(), Arc::clone(&downs), Arc::clone(&stop));
            std::thread::spawn(move || load(w, addr, victim, downs, stop))
        })
        .collect();
    let mut reloads = (0u64, 0u64); // (applied, other)
    let mut kills = 0u64;
    let mut next_reload = Duration::from_secs(15);
    let mut variant = 0usize;
    let mut rss_warm: Option<u64> = None;
    let mut rss_max = 0u64;
    let mut down_since: Option<Instant> = None;
    while t0.elapsed() < total {
        std::thread::sleep(Duration::from_millis(200));
        let t = t0.elapsed();
        if t >= next_reload && t + Duration::from_secs(2) < total {
            next_reload += Duration::from_secs(15);
            variant = 1 - variant;
            match envoy.reload(&configs[variant]) {
                Ok(Reload::Applied) => reloads.0 += 1,
                Ok(other) => {
                    reloads.1 += 1;
                    eprintln!("reload {variant}: {other:?}");
                }
                Err(e) => {
                    reloads.1 += 1;
                    eprintln!("reload {variant}: {e}");
                }
            }
        }
        let in_minute = t.as_secs() % 60;
        if down_since.is_none() && (KILL_AT..KILL_AT + 1).contains(&in_minute) {
            downs
                .lock()
                .map_err(|e| e.to_string())?
                .push((Instant::now(), None));
            pods[VICTIM] = None; // drop kills the process group
            down_since = Some(Instant::now());
            kills += 1;
        }
        if let Some(since) = down_since {
            if since.elapsed() >= Duration::from_secs(DOWN_FOR) {
                pods[VICTIM] = Some(start_pod(VICTIM)?);
                if let Some(last) = downs.lock().map_err(|e| e.to_string())?.last_mut() {
                    last.1 = Some(Instant::now());
                }
                down_since = None;
            }
        }
        if let Some(rss) = envoy.rss_kib() {
            rss_max = rss_max.max(rss);
            if rss_warm.is_none() && t >= warmup {
                rss_warm = Some(rss);
                println!("soak: RSS after warm-up ({warmup:?}): {rss} KiB");
            }
        }
    }
    stop.store(true, Ordering::Relaxed);
    let mut c = Counts::default();
    for w in workers {
        let r = w.join().map_err(|_| "a load thread panicked".to_string())?;
        c.requests += r.requests;
        c.ok += r.ok;
        c.config_replies += r.config_replies;
        c.backend_down += r.backend_down;
        c.unexpected += r.unexpected;
        c.samples.extend(r.samples);
    }
    let rss_end = envoy.rss_kib().unwrap_or(0);
    let vm_reload = envoy.stat("wasm.meshroute.vm_reload");
    let wasm_errors = wasm_log_errors(&envoy.log());
    let running = envoy.is_running();
    let rss_warm = rss_warm.unwrap_or(rss_end);
    let growth = (rss_end as f64 - rss_warm as f64) / rss_warm.max(1) as f64 * 100.0;
    let mut codes = BTreeMap::new();
    for s in &c.samples {
        *codes.entry(s.clone()).or_insert(0) += 1;
    }
    println!(
        "soak: {:.1} min, {} requests ({:.0}/s), {} ok, {} config replies (555/404/redirect), {} backend-down errors (victim killed {} times, down {} s each), {} unexpected errors",
        t0.elapsed().as_secs_f64() / 60.0,
        c.requests,
        c.requests as f64 / t0.elapsed().as_secs_f64(),
        c.ok,
        c.config_replies,
        c.backend_down,
        kills,
        DOWN_FOR,
        c.unexpected
    );
    println!(
        "soak: reloads applied {} (not applied {}), wasm.meshroute.vm_reload {:?}, wasm errors in the log {}, Envoy running {}",
        reloads.0, reloads.1, vm_reload, wasm_errors, running
    );
    println!(
        "soak: Envoy RSS after warm-up {rss_warm} KiB, at the end {rss_end} KiB ({growth:+.2} %), max {rss_max} KiB"
    );
    for s in codes.keys() {
        println!("soak: unexpected: {s}");
    }
    let pass = c.unexpected == 0
        && reloads.1 == 0
        && vm_reload.unwrap_or(0) == 0
        && wasm_errors == 0
        && running
        && growth < 5.0
        && c.requests > 0;
    println!("soak: {}", if pass { "PASS" } else { "FAIL" });
    drop(pods);
    Ok(pass)
}

fn main() -> ExitCode {
    let mut minutes = 10u64;
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        match a.as_str() {
            "--minutes" => match args.next().and_then(|m| m.parse().ok()) {
                Some(m) if m > 0 => minutes = m,
                _ => {
                    eprintln!("--minutes needs a positive whole number");
                    return ExitCode::from(2);
                }
            },
            _ => {
                eprintln!("usage: soak [--minutes N]   (default 10)");
                return ExitCode::from(2);
            }
        }
    }
    match run(minutes) {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::FAILURE,
        Err(e) => {
            eprintln!("soak: {e}");
            ExitCode::from(2)
        }
    }
}
