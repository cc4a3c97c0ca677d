//! Request routing, runtime fault/latency knobs and request counters.

use std::collections::BTreeMap;
use std::net::{IpAddr, SocketAddr};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, MutexGuard};
use std::thread;
use std::time::Duration;

use crate::config::{self, Config, MAX_LATENCY_MS};
use crate::http::{Head, Response};
use crate::json;

/// Distinct keys kept per stats map; further keys are counted as `(other)`.
const MAX_STATS_KEYS: usize = 1000;

/// One request as seen by the application.
#[derive(Debug, Clone, Copy)]
pub struct Request<'a> {
    /// Parsed head.
    pub head: &'a Head,
    /// Body bytes (only kept for `/echo`; empty otherwise).
    pub body: &'a [u8],
    /// TCP peer IP.
    pub peer_ip: IpAddr,
    /// IP reported as ServerIP (the listen IP, or the connection's local IP
    /// when listening on an unspecified address).
    pub server_ip: IpAddr,
}

/// Failure injection state.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FailMode {
    /// Status to answer with; 0 = off.
    pub status: u16,
    /// Failures left before switching off; `None` = unlimited.
    pub remaining: Option<u64>,
    /// Fraction of requests to fail, in parts per million.
    pub rate_ppm: u64,
    /// A gRPC status for the injected answers (`grpc-status` header), as a gRPC server answers
    /// a failed call: with `status` 200 the failure is visible only to gRPC-aware retries.
    pub grpc: Option<u32>,
    /// Eligible requests seen since this mode was set.
    seen: u64,
}

impl FailMode {
    /// A mode failing with `status` at `rate` (0..=1), `count` times.
    pub fn new(status: u16, rate: f64, count: Option<u64>) -> Self {
        FailMode {
            status,
            remaining: count,
            rate_ppm: (rate.clamp(0.0, 1.0) * 1_000_000.0).round() as u64,
            grpc: None,
            seen: 0,
        }
    }

    /// Decide for the next eligible request. Deterministic: of the first `n`
    /// requests, exactly `floor(n * rate)` fail (so rate 0.5 alternates
    /// ok, fail, ok, fail…).
    pub fn next_failure(&mut self) -> Option<u16> {
        if self.status == 0 || self.remaining == Some(0) {
            return None;
        }
        let n = u128::from(self.seen);
        self.seen = self.seen.saturating_add(1);
        let ppm = u128::from(self.rate_ppm);
        if (n + 1) * ppm / 1_000_000 <= n * ppm / 1_000_000 {
            return None;
        }
        let status = self.status;
        if let Some(left) = &mut self.remaining {
            *left -= 1;
            if *left == 0 {
                *self = FailMode::default();
            }
        }
        Some(status)
    }

    fn to_json(&self) -> String {
        json::object([
            ("status", self.status.to_string()),
            (
                "remaining",
                self.remaining.map_or("null".into(), |n| n.to_string()),
            ),
            ("rate", (self.rate_ppm as f64 / 1_000_000.0).to_string()),
            ("grpc", self.grpc.map_or("null".into(), |g| g.to_string())),
        ])
    }
}

/// Request counters for `/admin/stats`.
#[derive(Debug, Clone, Default)]
struct Stats {
    requests: u64,
    injected_failures: u64,
    by_path: BTreeMap<String, u64>,
    by_status: BTreeMap<u16, u64>,
    by_host: BTreeMap<String, u64>,
    by_method: BTreeMap<String, u64>,
}

fn bump<K: Ord + Clone>(map: &mut BTreeMap<K, u64>, key: K, other: K) {
    let key = if map.len() >= MAX_STATS_KEYS && !map.contains_key(&key) {
        other
    } else {
        key
    };
    *map.entry(key).or_insert(0) += 1;
}

fn count_map<K: ToString>(map: &BTreeMap<K, u64>) -> String {
    json::object(map.iter().map(|(k, v)| (k.to_string(), v.to_string())))
}

/// Shared application state (one per server, shared by all connections).
#[derive(Debug)]
pub struct App {
    name: String,
    version: String,
    instance: SocketAddr,
    quiet: bool,
    latency_ms: AtomicU64,
    fail: Mutex<FailMode>,
    stats: Mutex<Stats>,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// Value of query parameter `key` (no percent-decoding; values are numbers).
fn query_param<'a>(query: &'a str, key: &str) -> Option<&'a str> {
    query
        .split('&')
        .map(|kv| kv.split_once('=').unwrap_or((kv, "")))
        .find(|(k, _)| *k == key)
        .map(|(_, v)| v)
}

impl App {
    /// State for `config`, serving on the actually bound `instance` address.
    pub fn new(config: &Config, instance: SocketAddr) -> Self {
        App {
            name: config.name(),
            version: config.version.clone(),
            instance,
            quiet: config.quiet,
            latency_ms: AtomicU64::new(config.latency_ms),
            fail: Mutex::new(FailMode::new(config.fail_status, config.fail_rate, None)),
            stats: Mutex::new(Stats::default()),
        }
    }

    /// Server name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Version string.
    pub fn version(&self) -> &str {
        &self.version
    }

    /// The bound address (`ip:port`, real port even for `:0`).
    pub fn instance(&self) -> SocketAddr {
        self.instance
    }

    /// Whether the access log is suppressed.
    pub fn quiet(&self) -> bool {
        self.quiet
    }

    /// Current fixed latency in milliseconds.
    pub fn latency_ms(&self) -> u64 {
        self.latency_ms.load(Ordering::Relaxed)
    }

    /// Current failure mode.
    pub fn fail_mode(&self) -> FailMode {
        lock(&self.fail).clone()
    }

    /// Total counted requests (what `/admin/stats` reports as `requests`).
    pub fn requests(&self) -> u64 {
        lock(&self.stats).requests
    }

    /// Whether the body of a request with this head should be kept in memory.
    pub fn wants_body(head: &Head) -> bool {
        let path = head.path();
        path == "/echo" || path.starts_with("/echo/")
    }

    /// The ServerIP to report for a connection whose local address is `local`.
    pub fn server_ip(&self, local: Option<IpAddr>) -> IpAddr {
        let ip = self.instance.ip();
        match local {
            Some(l) if ip.is_unspecified() => l.to_canonical(),
            _ => ip,
        }
    }

    /// A response for a request that could not be parsed.
    pub fn error_response(&self, status: u16, why: &str, server_ip: IpAddr) -> Response {
        let mut resp = Response::text(status, format!("{why}\n"));
        resp.close = true;
        self.decorate(resp, "", "", server_ip)
    }

    /// Answer one request.
    pub fn handle(&self, req: &Request<'_>) -> Response {
        let head = req.head;
        let path = head.path();
        let resp = if path == "/admin" || path.starts_with("/admin/") {
            self.admin(path, head.query())
        } else if path == "/healthz" {
            Response::text(200, "OK")
        } else {
            let latency = self.latency_ms();
            if latency > 0 {
                thread::sleep(Duration::from_millis(latency));
            }
            let (injected, grpc) = {
                let mut fail = lock(&self.fail);
                (fail.next_failure(), fail.grpc)
            };
            let resp = match injected {
                Some(status) => {
                    let r = Response::text(
                        status,
                        format!("demoapp {} injected failure: {status}\n", self.name),
                    )
                    .with_header("x-demoapp-injected-failure", "true");
                    match grpc {
                        Some(g) => r.with_header("grpc-status", g.to_string()),
                        None => r,
                    }
                }
                None => self.route(path, req),
            };
            let mut stats = lock(&self.stats);
            stats.requests += 1;
            if injected.is_some() {
                stats.injected_failures += 1;
            }
            bump(&mut stats.by_path, path.to_string(), "(other)".into());
            bump(&mut stats.by_status, resp.status, 0);
            bump(
                &mut stats.by_host,
                head.header_lossy("host"),
                "(other)".into(),
            );
            bump(&mut stats.by_method, head.method.clone(), "(other)".into());
            resp
        };
        self.decorate(
            resp,
            &head.target,
            &head.header_lossy("host"),
            req.server_ip,
        )
    }

    /// Add the `x-demoapp-*` headers every response carries.
    fn decorate(&self, resp: Response, target: &str, host: &str, server_ip: IpAddr) -> Response {
        resp.with_header("x-demoapp-name", self.name.as_str())
            .with_header("x-demoapp-version", self.version.as_str())
            .with_header("x-demoapp-server-ip", server_ip.to_string())
            .with_header("x-demoapp-path", target)
            .with_header("x-demoapp-host", host)
            .with_header("server", "demoapp")
    }

    /// The classic demoapp line.
    fn index_body(&self, req: &Request<'_>) -> String {
        format!(
            "iKubernetes demoapp {} !! ClientIP: {}, ServerName: {}, ServerIP: {}!\n",
            self.version, req.peer_ip, self.name, req.server_ip
        )
    }

    fn route(&self, path: &str, req: &Request<'_>) -> Response {
        if path == "/hostname" {
            return Response::text(200, format!("{}\n", self.name));
        }
        if path == "/api/get_server" {
            return Response::json(
                200,
                json::object([
                    ("name", json::string(&self.name)),
                    ("version", json::string(&self.version)),
                    ("instance", json::string(&self.instance.to_string())),
                ]),
            );
        }
        if path == "/echo" || path.starts_with("/echo/") {
            return Response::json(200, self.echo_json(req));
        }
        if let Some(ms) = path.strip_prefix("/delay/") {
            let Some(ms) = config::parse_ms(ms.trim_end_matches('/')) else {
                return Response::text(
                    400,
                    format!("delay must be an integer 0..={MAX_LATENCY_MS} (ms)\n"),
                );
            };
            thread::sleep(Duration::from_millis(ms));
            return Response::text(200, self.index_body(req));
        }
        if let Some(code) = path.strip_prefix("/status/") {
            return match config::parse_status(code.trim_end_matches('/')) {
                Some(code) if code != 0 => Response::text(code, self.index_body(req)),
                _ => Response::text(400, "status must be an integer 200..=599\n"),
            };
        }
        Response::text(200, self.index_body(req))
    }

    fn echo_json(&self, req: &Request<'_>) -> String {
        let head = req.head;
        // Group repeated headers, preserving first-arrival order.
        let mut grouped: Vec<(&str, Vec<String>)> = Vec::new();
        for (name, value) in &head.headers {
            let value = String::from_utf8_lossy(value).into_owned();
            match grouped.iter_mut().find(|(n, _)| n == name) {
                Some((_, values)) => values.push(value),
                None => grouped.push((name, vec![value])),
            }
        }
        let headers = json::object(grouped.iter().map(|(name, values)| {
            let v = match values.as_slice() {
                [one] => json::string(one),
                many => json::array(many.iter().map(|v| json::string(v))),
            };
            (*name, v)
        }));
        json::object([
            ("method", json::string(&head.method)),
            ("path", json::string(&head.target)),
            ("headers", headers),
            ("body", json::string(&String::from_utf8_lossy(req.body))),
            ("client_ip", json::string(&req.peer_ip.to_string())),
            ("name", json::string(&self.name)),
            ("version", json::string(&self.version)),
        ])
    }

    fn admin(&self, path: &str, query: &str) -> Response {
        let bad = |msg: &str| Response::json(400, json::object([("error", json::string(msg))]));
        match path.trim_end_matches('/') {
            "/admin/fail" => {
                let status = query_param(query, "status");
                let count = query_param(query, "count");
                let rate = query_param(query, "rate");
                let grpc = query_param(query, "grpc");
                if status.is_some() || count.is_some() || rate.is_some() || grpc.is_some() {
                    let Some(status) = status.map_or(Some(503), config::parse_status) else {
                        return bad("status must be 0 or 200..=599");
                    };
                    let count = match count.filter(|c| !c.is_empty()) {
                        None => None,
                        Some(c) => match c.parse::<u64>() {
                            Ok(n) => Some(n),
                            Err(_) => return bad("count must be a non-negative integer"),
                        },
                    };
                    let Some(rate) = rate.map_or(Some(1.0), config::parse_rate) else {
                        return bad("rate must be a number 0..=1");
                    };
                    let grpc = match grpc.filter(|g| !g.is_empty()) {
                        None => None,
                        Some(g) => match g.parse::<u32>() {
                            Ok(n) if n <= 16 => Some(n),
                            _ => return bad("grpc must be a gRPC status code 0..=16"),
                        },
                    };
                    let mode = if status == 0 || count == Some(0) {
                        FailMode::default()
                    } else {
                        FailMode {
                            grpc,
                            ..FailMode::new(status, rate, count)
                        }
                    };
                    *lock(&self.fail) = mode;
                }
                Response::json(200, lock(&self.fail).to_json())
            }
            "/admin/latency" => {
                if let Some(ms) = query_param(query, "ms") {
                    let Some(ms) = config::parse_ms(ms) else {
                        return bad("ms must be an integer 0..=600000");
                    };
                    self.latency_ms.store(ms, Ordering::Relaxed);
                }
                Response::json(
                    200,
                    json::object([("latency_ms", self.latency_ms().to_string())]),
                )
            }
            "/admin/stats" => Response::json(200, self.stats_json()),
            "/admin/reset" => {
                *lock(&self.stats) = Stats::default();
                Response::json(200, self.stats_json())
            }
            _ => Response::json(
                404,
                json::object([(
                    "error",
                    json::string(
                        "unknown admin endpoint; try /admin/fail, /admin/latency, /admin/stats, /admin/reset",
                    ),
                )]),
            ),
        }
    }

    fn stats_json(&self) -> String {
        let stats = lock(&self.stats).clone();
        json::object([
            ("name", json::string(&self.name)),
            ("requests", stats.requests.to_string()),
            ("injected_failures", stats.injected_failures.to_string()),
            ("by_path", count_map(&stats.by_path)),
            ("by_status", count_map(&stats.by_status)),
            ("by_host", count_map(&stats.by_host)),
            ("by_method", count_map(&stats.by_method)),
        ])
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::http::Conn;

    fn app() -> App {
        let mut config = Config::new("10.1.2.3:8080".parse().unwrap());
        config.name = Some("pod-a".into());
        App::new(&config, config.listen)
    }

    fn call(app: &App, raw: &[u8]) -> Response {
        let (head, body) = Conn::new(raw).read_request().unwrap().unwrap();
        app.handle(&Request {
            head: &head,
            body: &body.bytes,
            peer_ip: "10.9.9.9".parse().unwrap(),
            server_ip: app.server_ip(None),
        })
    }

    fn get(app: &App, target: &str) -> Response {
        call(
            app,
            format!("GET {target} HTTP/1.1\r\nHost: svc\r\n\r\n").as_bytes(),
        )
    }

    fn json(resp: &Response) -> serde_json::Value {
        serde_json::from_slice(&resp.body).unwrap()
    }

    const INDEX: &str =
        "iKubernetes demoapp v1.0 !! ClientIP: 10.9.9.9, ServerName: pod-a, ServerIP: 10.1.2.3!\n";

    #[test]
    fn index_and_any_path() {
        let app = app();
        for target in ["/", "/anything/else?x=1", "*"] {
            let r = get(&app, target);
            assert_eq!(r.status, 200);
            assert_eq!(String::from_utf8(r.body.clone()).unwrap(), INDEX);
            assert_eq!(r.header("x-demoapp-path"), Some(target.as_bytes()));
            assert_eq!(r.header("x-demoapp-host"), Some(&b"svc"[..]));
            assert_eq!(r.header("x-demoapp-name"), Some(&b"pod-a"[..]));
            assert_eq!(r.header("x-demoapp-version"), Some(&b"v1.0"[..]));
            assert_eq!(r.header("x-demoapp-server-ip"), Some(&b"10.1.2.3"[..]));
        }
    }

    #[test]
    fn hostname_get_server_healthz() {
        let app = app();
        assert_eq!(get(&app, "/hostname").body, b"pod-a\n");
        let v = json(&get(&app, "/api/get_server"));
        assert_eq!(v["name"], "pod-a");
        assert_eq!(v["version"], "v1.0");
        assert_eq!(v["instance"], "10.1.2.3:8080");
        assert_eq!(get(&app, "/healthz").body, b"OK");
    }

    #[test]
    fn echo_groups_headers_and_handles_binary() {
        let app = app();
        let r = call(
            &app,
            b"PUT /echo/x?a=b HTTP/1.1\r\nHost: svc\r\nX-M: 1\r\nx-m: 2\r\nX-Bin: \xff\r\nContent-Length: 3\r\n\r\na\xffc",
        );
        assert_eq!(r.header("content-type"), Some(&b"application/json"[..]));
        let v = json(&r);
        assert_eq!(v["method"], "PUT");
        assert_eq!(v["path"], "/echo/x?a=b");
        assert_eq!(v["headers"]["host"], "svc");
        assert_eq!(v["headers"]["x-m"], serde_json::json!(["1", "2"]));
        assert_eq!(v["headers"]["x-bin"], "\u{fffd}");
        assert_eq!(v["body"], "a\u{fffd}c");
        assert_eq!(v["client_ip"], "10.9.9.9");
    }

    #[test]
    fn status_and_delay() {
        let app = app();
        let r = get(&app, "/status/418");
        assert_eq!(r.status, 418);
        assert_eq!(String::from_utf8(r.body).unwrap(), INDEX);
        for bad in [
            "/status/abc",
            "/status/99",
            "/status/600",
            "/status/0",
            "/delay/x",
        ] {
            assert_eq!(get(&app, bad).status, 400, "{bad}");
        }
        let t = std::time::Instant::now();
        let r = get(&app, "/delay/30");
        assert_eq!(r.status, 200);
        assert!(t.elapsed() >= Duration::from_millis(30));
    }

    #[test]
    fn admin_fail_count_and_off() {
        let app = app();
        let v = json(&get(&app, "/admin/fail?status=503&count=2"));
        assert_eq!(
            (v["status"].as_u64(), v["remaining"].as_u64()),
            (Some(503), Some(2))
        );
        assert_eq!(get(&app, "/healthz").status, 200);
        assert_eq!(get(&app, "/").status, 503);
        assert_eq!(get(&app, "/echo").status, 503);
        assert_eq!(get(&app, "/").status, 200);
        // Unlimited until switched off.
        get(&app, "/admin/fail?status=500");
        for _ in 0..3 {
            assert_eq!(get(&app, "/x").status, 500);
        }
        get(&app, "/admin/fail?status=0");
        assert_eq!(get(&app, "/x").status, 200);
        assert_eq!(get(&app, "/admin/fail?status=abc").status, 400);
        assert_eq!(get(&app, "/admin/fail?status=503&count=-1").status, 400);
        assert_eq!(get(&app, "/admin/fail?rate=2").status, 400);
        assert_eq!(app.fail_mode(), FailMode::default());
    }

    #[test]
    fn admin_fail_grpc_answers_carry_grpc_status() {
        let app = app();
        let v = json(&get(&app, "/admin/fail?status=200&grpc=14&rate=0.5"));
        assert_eq!(v["grpc"].as_u64(), Some(14));
        let a = get(&app, "/x");
        let b = get(&app, "/x");
        assert_eq!((a.status, b.status), (200, 200));
        assert_eq!(a.header("grpc-status"), None);
        assert_eq!(b.header("grpc-status"), Some(&b"14"[..]));
        assert_eq!(get(&app, "/admin/fail?grpc=99").status, 400);
    }

    #[test]
    fn deterministic_fail_rate() {
        let mut mode = FailMode::new(503, 0.5, None);
        let pattern: Vec<bool> = (0..6).map(|_| mode.next_failure().is_some()).collect();
        assert_eq!(pattern, [false, true, false, true, false, true]);
        let mut mode = FailMode::new(503, 0.3, None);
        let fails = (0..100).filter(|_| mode.next_failure().is_some()).count();
        assert_eq!(fails, 30);
        let mut mode = FailMode::new(503, 1.0, Some(3));
        let fails = (0..10).filter(|_| mode.next_failure().is_some()).count();
        assert_eq!(fails, 3);
        assert_eq!(mode, FailMode::default());
        let mut off = FailMode::new(503, 0.0, None);
        assert!((0..10).all(|_| off.next_failure().is_none()));
    }

    #[test]
    fn latency_knob() {
        let app = app();
        let v = json(&get(&app, "/admin/latency?ms=20"));
        assert_eq!(v["latency_ms"], 20);
        let t = std::time::Instant::now();
        get(&app, "/");
        assert!(t.elapsed() >= Duration::from_millis(20));
        assert_eq!(get(&app, "/admin/latency?ms=nope").status, 400);
        assert_eq!(app.latency_ms(), 20);
    }

    #[test]
    fn stats_count_only_served_requests() {
        let app = app();
        get(&app, "/");
        get(&app, "/a?x=1");
        get(&app, "/a");
        get(&app, "/healthz");
        get(&app, "/admin/fail?status=503&count=1");
        get(&app, "/status/201");
        let v = json(&get(&app, "/admin/stats"));
        assert_eq!(v["requests"], 4);
        assert_eq!(v["injected_failures"], 1);
        assert_eq!(v["by_path"]["/a"], 2);
        assert_eq!(v["by_path"]["/"], 1);
        assert_eq!(v["by_path"]["/status/201"], 1);
        assert_eq!(v["by_status"]["503"], 1);
        assert_eq!(v["by_host"]["svc"], 4);
        assert!(v["by_path"].get("/healthz").is_none());
        let v = json(&get(&app, "/admin/reset"));
        assert_eq!(v["requests"], 0);
        assert_eq!(get(&app, "/admin/nope").status, 404);
    }

    #[test]
    fn unspecified_listen_reports_local_ip() {
        let config = Config::new("0.0.0.0:80".parse().unwrap());
        let app = App::new(&config, config.listen);
        assert_eq!(app.name(), "demoapp-0.0.0.0");
        let local: IpAddr = "::ffff:10.0.0.5".parse().unwrap();
        assert_eq!(
            app.server_ip(Some(local)),
            "10.0.0.5".parse::<IpAddr>().unwrap()
        );
        assert_eq!(app.error_response(400, "bad", local).status, 400);
    }
}
