//! `meshroute-loadgen`: an open-loop HTTP/1.1 load generator (the benchmark's fixed-rate load;
//! wrk2 is not packaged in Debian). Each of `--connections` keep-alive connections sends on its
//! own fixed schedule (`rate / connections` per second, staggered); a request's latency is
//! measured from its *intended* send time, so a slow server is charged for the requests it
//! delayed (no coordinated omission). Requests rotate over the `--hosts` file's Host headers and
//! the `--paths` list.
//!
//! ```text
//! meshroute-loadgen --addr 127.0.0.1:8080 --rate 1000 --connections 8 --duration 10 \
//!     [--warmup 1] [--hosts FILE] [--paths /,/items/7]
//! ```
//! Prints one JSON object: requests, ok (2xx), errors, rps, latency_us {p50, p90, p99, p999, max, mean}.
#![forbid(unsafe_code)]

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

struct Opts {
    addr: String,
    rate: f64,
    connections: usize,
    duration: f64,
    warmup: f64,
    hosts: Vec<String>,
    paths: Vec<String>,
}

fn parse() -> Result<Opts, String> {
    let mut o = Opts {
        addr: String::new(),
        rate: 1000.0,
        connections: 8,
        duration: 10.0,
        warmup: 1.0,
        hosts: vec!["localhost".into()],
        paths: vec!["/".into()],
    };
    let args: Vec<String> = std::env::args().skip(1).collect();
    let mut i = 0;
    while i < args.len() {
        let v = args
            .get(i + 1)
            .cloned()
            .ok_or(format!("{} needs a value", args[i]))?;
        let num = |s: &str| s.parse::<f64>().map_err(|_| format!("bad number {s:?}"));
        match args[i].as_str() {
            "--addr" => o.addr = v,
            "--rate" => o.rate = num(&v)?,
            "--connections" => o.connections = num(&v)? as usize,
            "--duration" => o.duration = num(&v)?,
            "--warmup" => o.warmup = num(&v)?,
            "--hosts" => {
                let text = std::fs::read_to_string(&v).map_err(|e| format!("{v}: {e}"))?;
                o.hosts = text
                    .lines()
                    .filter(|l| !l.is_empty())
                    .map(String::from)
                    .collect();
            }
            "--host" => o.hosts = vec![v],
            "--paths" => o.paths = v.split(',').map(String::from).collect(),
            other => return Err(format!("unknown argument {other:?}")),
        }
        i += 2;
    }
    if o.addr.is_empty() || o.rate <= 0.0 || o.connections == 0 || o.hosts.is_empty() {
        return Err("usage: meshroute-loadgen --addr IP:PORT --rate N --connections C --duration S [--warmup S] [--hosts FILE|--host H] [--paths P1,P2]".into());
    }
    Ok(o)
}

/// Reads one HTTP/1.1 response (Content-Length framed). Returns the status code.
fn read_response(s: &mut TcpStream, buf: &mut Vec<u8>) -> std::io::Result<u16> {
    buf.clear();
    let mut chunk = [0u8; 16384];
    let head_end = loop {
        if let Some(p) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break p + 4;
        }
        let n = s.read(&mut chunk)?;
        if n == 0 {
            return Err(std::io::ErrorKind::UnexpectedEof.into());
        }
        buf.extend_from_slice(&chunk[..n]);
    };
    let head = String::from_utf8_lossy(&buf[..head_end]).to_ascii_lowercase();
    let status = head
        .split(' ')
        .nth(1)
        .and_then(|c| c.parse::<u16>().ok())
        .unwrap_or(0);
    let len = head
        .lines()
        .find_map(|l| l.strip_prefix("content-length:"))
        .and_then(|v| v.trim().parse::<usize>().ok())
        .unwrap_or(0);
    while buf.len() < head_end + len {
        let n = s.read(&mut chunk)?;
        if n == 0 {
            return Err(std::io::ErrorKind::UnexpectedEof.into());
        }
        buf.extend_from_slice(&chunk[..n]);
    }
    Ok(status)
}

fn connect(addr: &str) -> Option<TcpStream> {
    let s = TcpStream::connect(addr).ok()?;
    s.set_nodelay(true).ok()?;
    s.set_read_timeout(Some(Duration::from_secs(10))).ok()?;
    Some(s)
}

/// Sleeps until `t`: a coarse sleep, then a short spin for the last 60 µs.
fn wait_until(t: Instant) {
    let now = Instant::now();
    if t > now + Duration::from_micros(60) {
        std::thread::sleep(t - now - Duration::from_micros(60));
    }
    while Instant::now() < t {
        std::hint::spin_loop();
    }
}

struct Tally {
    lat_us: Vec<u32>,
    ok: u64,
    errors: u64,
}

fn main() {
    let o = match parse() {
        Ok(o) => o,
        Err(e) => {
            eprintln!("meshroute-loadgen: {e}");
            std::process::exit(2);
        }
    };
    let start = Instant::now() + Duration::from_millis(50);
    let measure_from = start + Duration::from_secs_f64(o.warmup);
    let end = measure_from + Duration::from_secs_f64(o.duration);
    let interval = Duration::from_secs_f64(o.connections as f64 / o.rate);
    let requests: Vec<Vec<u8>> = (0..o.hosts.len().max(o.paths.len()) * o.paths.len())
        .map(|k| {
            let host = &o.hosts[k % o.hosts.len()];
            let path = &o.paths[(k / o.hosts.len()) % o.paths.len()];
            format!("GET {path} HTTP/1.1\r\nHost: {host}\r\nUser-Agent: meshroute-loadgen\r\n\r\n")
                .into_bytes()
        })
        .collect();
    let requests = std::sync::Arc::new(requests);
    let handles: Vec<_> = (0..o.connections)
        .map(|c| {
            let addr = o.addr.clone();
            let requests = requests.clone();
            let n = o.connections;
            std::thread::spawn(move || {
                let mut t = Tally {
                    lat_us: Vec::new(),
                    ok: 0,
                    errors: 0,
                };
                let mut conn = connect(&addr);
                let mut buf = Vec::with_capacity(4096);
                let first = start + interval.mul_f64(c as f64 / n as f64);
                let mut k: u64 = 0;
                loop {
                    let intended = first + interval.mul_f64(k as f64);
                    if intended >= end {
                        break;
                    }
                    wait_until(intended);
                    let req = &requests[(k as usize * n + c) % requests.len()];
                    let mut ok = false;
                    let mut status = 0;
                    for _ in 0..2 {
                        if conn.is_none() {
                            conn = connect(&addr);
                        }
                        let Some(s) = conn.as_mut() else { break };
                        match s.write_all(req).and_then(|_| read_response(s, &mut buf)) {
                            Ok(code) => {
                                status = code;
                                ok = true;
                                break;
                            }
                            Err(_) => conn = None,
                        }
                    }
                    let done = Instant::now();
                    if intended >= measure_from {
                        if ok && (200..300).contains(&status) {
                            t.ok += 1;
                            t.lat_us
                                .push((done - intended).as_micros().min(u32::MAX as u128) as u32);
                        } else {
                            t.errors += 1;
                        }
                    }
                    k += 1;
                }
                t
            })
        })
        .collect();
    let mut all = Tally {
        lat_us: Vec::new(),
        ok: 0,
        errors: 0,
    };
    for h in handles {
        if let Ok(t) = h.join() {
            all.lat_us.extend(t.lat_us);
            all.ok += t.ok;
            all.errors += t.errors;
        }
    }
    all.lat_us.sort_unstable();
    let pct = |p: f64| -> u32 {
        if all.lat_us.is_empty() {
            return 0;
        }
        let i = ((p / 100.0) * (all.lat_us.len() - 1) as f64).round() as usize;
        all.lat_us[i.min(all.lat_us.len() - 1)]
    };
    let mean = if all.lat_us.is_empty() {
        0.0
    } else {
        all.lat_us.iter().map(|&x| f64::from(x)).sum::<f64>() / all.lat_us.len() as f64
    };
    println!(
        "{{\"requests\": {}, \"ok\": {}, \"errors\": {}, \"rps\": {:.1}, \"latency_us\": {{\"p50\": {}, \"p90\": {}, \"p99\": {}, \"p999\": {}, \"max\": {}, \"mean\": {:.1}}}}}",
        all.ok + all.errors,
        all.ok,
        all.errors,
        all.ok as f64 / o.duration,
        pct(50.0),
        pct(90.0),
        pct(99.0),
        pct(99.9),
        all.lat_us.last().copied().unwrap_or(0),
        mean
    );
}
