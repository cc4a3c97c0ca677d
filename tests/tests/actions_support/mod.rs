//! Shared by the `e2e_actions_*` tests: runs one of the examples under `examples/actions/`
//! (a config for the `frontend` pod's sidecar) in real Envoy, in the test's own loopback range.
#![allow(dead_code)]

use meshroute_tests::harness::http::{self, Conn, Response};
use meshroute_tests::harness::{repo_root, Demoapp, EnvoyOptions, Net, Scenario};
use std::collections::BTreeMap;
use std::io;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// The authority the frontend uses for demoapp (the sidecar takes the service port from it).
pub const DEMOAPP: &str = "demoapp:8080";

/// Copies `src` (file or directory of YAML) to `dst` with the pod IPs moved into `net`.
fn copy_moved(src: &Path, dst: &Path, net: &Net) -> io::Result<()> {
    if src.is_dir() {
        std::fs::create_dir_all(dst)?;
        for e in std::fs::read_dir(src)? {
            let p = e?.path();
            if let Some(name) = p.file_name() {
                copy_moved(&p, &dst.join(name), net)?;
            }
        }
        return Ok(());
    }
    if let Some(parent) = dst.parent() {
        std::fs::create_dir_all(parent)?;
    }
    let text = std::fs::read_to_string(src)?.replace("127.0.10.", &net.prefix());
    std::fs::write(dst, text)
}

/// Writes `examples/actions/<topic>.yaml` and what it includes into `dir` (same layout, pod
/// IPs in `net`, `debug: true` added so answers name the route and cluster); returns the
/// config's path.
pub fn write_example(topic: &str, net: &Net, dir: &Path) -> io::Result<PathBuf> {
    write_config(
        &format!("actions/{topic}.yaml"),
        &["actions/mesh", &format!("actions/{topic}")],
        net,
        dir,
    )
}

/// Writes the example config `examples/<config>`, the seed's pods and the `includes` (paths
/// under `examples/`) into `dir` the same way; returns the config's path.
pub fn write_config(config: &str, includes: &[&str], net: &Net, dir: &Path) -> io::Result<PathBuf> {
    let root = repo_root().join("examples");
    for p in std::iter::once("seed/demoapp.yaml").chain(includes.iter().copied()) {
        copy_moved(&root.join(p), &dir.join(p), net)?;
    }
    let cfg = std::fs::read_to_string(root.join(config))?;
    let path = dir.join(config);
    std::fs::write(&path, format!("{cfg}debug: true\n"))?;
    Ok(path)
}

/// The seed's pods (`--quiet` plus `pod_args`) and Envoy (2 workers, access log) running the
/// example `topic`. `None` (one SKIP line) without Envoy.
pub fn start(test: &str, topic: &str, pod_args: &[&str]) -> Option<Scenario> {
    start_with(test, topic, pod_args, |o| o)
}

pub fn start_with(
    test: &str,
    topic: &str,
    pod_args: &[&str],
    opts: impl FnOnce(EnvoyOptions) -> EnvoyOptions,
) -> Option<Scenario> {
    Scenario::start_config(
        test,
        pod_args,
        |net, dir| write_example(topic, net, dir),
        opts,
    )
}

/// The frontend pod (127.0.N.21:8080), for examples that send traffic to it.
pub fn frontend(s: &Scenario) -> Demoapp {
    Demoapp::start(
        &s.bins,
        s.net.addr(21, 8080),
        "v1.0",
        "frontend-1",
        &["--quiet"],
    )
    .expect("frontend pod")
}

/// `GET path` to demoapp through the sidecar, on a fresh connection.
pub fn get(s: &Scenario, path: &str) -> Response {
    s.get(DEMOAPP, path)
}

pub fn get_with(s: &Scenario, path: &str, headers: &[(&str, &str)]) -> Response {
    s.get_with(DEMOAPP, path, headers)
}

/// `n` keep-alive requests on one connection (one Envoy worker).
pub fn on_one_connection(s: &Scenario, path: &str, n: usize) -> Vec<Response> {
    let mut c = Conn::open(s.addr()).expect("connect to envoy");
    (0..n)
        .map(|_| {
            c.request("GET", path, DEMOAPP, &[], true)
                .expect("request through envoy")
        })
        .collect()
}

/// A pod's admin endpoint (`/admin/fail?…`, `/admin/latency?…`, `/admin/reset`).
pub fn admin(pod: &Demoapp, path_and_query: &str) {
    let r = http::get(pod.addr, "admin", path_and_query, &[])
        .unwrap_or_else(|e| panic!("{}: {path_and_query}: {e}", pod.name));
    assert_eq!(
        r.status,
        200,
        "{}: {path_and_query}: {}",
        pod.name,
        r.text()
    );
}

/// The echo JSON of a `/echo` answer.
pub fn echo(r: &Response) -> serde_json::Value {
    serde_json::from_slice(&r.body)
        .unwrap_or_else(|e| panic!("not echo JSON ({e}): {}", r.summary()))
}

/// The header `name` the pod received (echo JSON), as a list of values.
pub fn echoed(r: &Response, name: &str) -> Vec<String> {
    match echo(r).pointer(&format!("/headers/{name}")) {
        Some(serde_json::Value::String(s)) => vec![s.clone()],
        Some(serde_json::Value::Array(a)) => a
            .iter()
            .filter_map(|v| v.as_str().map(str::to_string))
            .collect(),
        _ => Vec::new(),
    }
}

/// Every Envoy counter and gauge whose name contains `filter` (admin `/stats`, plain text).
pub fn envoy_stats(s: &Scenario, filter: &str) -> BTreeMap<String, u64> {
    let r = http::get(
        s.envoy.admin_addr(),
        "localhost",
        &format!("/stats?filter={}", percent_encode(filter)),
        &[],
    )
    .expect("admin /stats");
    r.text()
        .lines()
        .filter_map(|l| {
            let (k, v) = l.rsplit_once(": ")?;
            Some((k.to_string(), v.trim().parse().ok()?))
        })
        .collect()
}

/// The filter counts its counters in each worker and hands them to Envoy on the worker's tick
/// (every 250 ms, filter/src/lib.rs `FLUSH_PERIOD`): this waits for two ticks, then reads.
pub fn settled_stats(s: &Scenario, filter: &str) -> BTreeMap<String, u64> {
    std::thread::sleep(std::time::Duration::from_millis(600));
    envoy_stats(s, filter)
}

/// One counter (0 when not defined yet), once the filter's counts have reached Envoy.
pub fn counter(s: &Scenario, name: &str) -> u64 {
    settled_stats(s, &regex_escape(name))
        .get(name)
        .copied()
        .unwrap_or(0)
}

fn percent_encode(s: &str) -> String {
    s.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-_.".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

fn regex_escape(s: &str) -> String {
    let mut out = String::new();
    for c in s.chars() {
        if "\\.+*?()|[]{}^$".contains(c) {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// Counts by pod name (`x-demoapp-name`; `<status>` for answers no pod gave).
pub fn by_pod(rs: &[Response]) -> BTreeMap<String, usize> {
    http::tally(rs)
}

/// Runs `f` and returns its result and how long it took.
pub fn timed<T>(f: impl FnOnce() -> T) -> (T, Duration) {
    let t = Instant::now();
    let v = f();
    (v, t.elapsed())
}
