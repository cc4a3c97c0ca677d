//! End-to-end tests: run the real `demoapp` binary on a free port and talk
//! HTTP/1.1 to it over raw TCP.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc::{self, Receiver};
use std::thread;
use std::time::{Duration, Instant};

/// The running binary; killed on drop.
struct Demo {
    child: Child,
    addr: SocketAddr,
    start_line: String,
    log: Receiver<String>,
}

impl Drop for Demo {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Demo {
    fn start(extra: &[&str]) -> Demo {
        let mut child = Command::new(env!("CARGO_BIN_EXE_demoapp"))
            .args(["--listen", "127.0.0.1:0", "--name", "it-app"])
            .args(extra)
            .stdout(Stdio::piped())
            .spawn()
            .expect("spawn demoapp");
        let mut stdout = BufReader::new(child.stdout.take().unwrap());
        let mut start_line = String::new();
        stdout.read_line(&mut start_line).unwrap();
        let start_line = start_line.trim_end().to_string();
        let addr: SocketAddr = start_line
            .rsplit(' ')
            .next()
            .and_then(|a| a.parse().ok())
            .unwrap_or_else(|| panic!("bad start line {start_line:?}"));
        // Drain the access log so the child never blocks on a full pipe.
        let (tx, log) = mpsc::channel();
        thread::spawn(move || {
            for line in stdout.lines() {
                let Ok(line) = line else { break };
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        Demo {
            child,
            addr,
            start_line,
            log,
        }
    }

    fn connect(&self) -> Client {
        let stream = TcpStream::connect(self.addr).unwrap();
        stream
            .set_read_timeout(Some(Duration::from_secs(10)))
            .unwrap();
        Client {
            reader: BufReader::new(stream.try_clone().unwrap()),
            stream,
        }
    }

    /// One request on a fresh connection.
    fn get(&self, target: &str) -> Reply {
        let mut c = self.connect();
        c.send(
            format!("GET {target} HTTP/1.1\r\nHost: demo.test\r\nConnection: close\r\n\r\n")
                .as_bytes(),
        );
        c.read()
    }

    fn json(&self, target: &str) -> serde_json::Value {
        let r = self.get(target);
        assert_eq!(r.status, 200, "{target}: {}", r.text());
        serde_json::from_slice(&r.body).unwrap()
    }
}

struct Client {
    stream: TcpStream,
    reader: BufReader<TcpStream>,
}

#[derive(Debug)]
struct Reply {
    status: u16,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl Reply {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
}

impl Client {
    fn send(&mut self, raw: &[u8]) {
        self.stream.write_all(raw).unwrap();
    }

    /// Read one Content-Length-framed response.
    fn read(&mut self) -> Reply {
        let mut line = String::new();
        self.reader.read_line(&mut line).unwrap();
        let status: u16 = line
            .split(' ')
            .nth(1)
            .and_then(|s| s.parse().ok())
            .unwrap_or_else(|| panic!("bad status line {line:?}"));
        let mut headers = Vec::new();
        loop {
            let mut h = Vec::new();
            self.reader.read_until(b'\n', &mut h).unwrap();
            let h = String::from_utf8_lossy(&h).trim_end().to_string();
            if h.is_empty() {
                break;
            }
            let (n, v) = h.split_once(':').unwrap();
            headers.push((n.trim().to_ascii_lowercase(), v.trim().to_string()));
        }
        let len: usize = headers
            .iter()
            .find(|(n, _)| n == "content-length")
            .map_or(0, |(_, v)| v.parse().unwrap());
        let mut body = vec![0; len];
        self.reader.read_exact(&mut body).unwrap();
        Reply {
            status,
            headers,
            body,
        }
    }

    /// True if the server closed the connection (EOF) within the timeout.
    fn closed(&mut self) -> bool {
        let mut b = [0u8; 1];
        matches!(self.reader.read(&mut b), Ok(0))
    }
}

#[test]
fn start_line_and_root() {
    let demo = Demo::start(&[]);
    assert_eq!(
        demo.start_line,
        format!("demoapp v1.0 it-app listening on {}", demo.addr)
    );
    assert_ne!(demo.addr.port(), 0);

    let r = demo.get("/");
    assert_eq!(r.status, 200);
    assert_eq!(
        r.text(),
        "iKubernetes demoapp v1.0 !! ClientIP: 127.0.0.1, ServerName: it-app, ServerIP: 127.0.0.1!\n"
    );
    assert_eq!(r.header("x-demoapp-name"), Some("it-app"));
    assert_eq!(r.header("x-demoapp-version"), Some("v1.0"));
    assert_eq!(r.header("x-demoapp-server-ip"), Some("127.0.0.1"));
    assert_eq!(r.header("x-demoapp-path"), Some("/"));
    assert_eq!(r.header("x-demoapp-host"), Some("demo.test"));
    assert_eq!(r.header("content-type"), Some("text/plain; charset=utf-8"));
    assert_eq!(r.header("connection"), Some("close"));

    let v = demo.json("/api/get_server");
    assert_eq!(v["instance"], demo.addr.to_string());
    assert_eq!(demo.get("/hostname").text(), "it-app\n");

    // Access log: "method path status name".
    let line = demo.log.recv_timeout(Duration::from_secs(5)).unwrap();
    assert_eq!(line, "GET / 200 it-app");
}

#[test]
fn version_flag_and_cli_failure_mode() {
    let demo = Demo::start(&["--version", "v1.1", "--fail-status", "503", "--quiet"]);
    assert!(demo
        .start_line
        .starts_with("demoapp v1.1 it-app listening on "));
    let r = demo.get("/");
    assert_eq!(r.status, 503);
    assert_eq!(r.header("x-demoapp-version"), Some("v1.1"));
    assert_eq!(demo.get("/healthz").status, 200);
    demo.get("/admin/fail?status=0");
    let r = demo.get("/");
    assert_eq!(r.status, 200);
    assert!(r.text().starts_with("iKubernetes demoapp v1.1 !! "));
    // --quiet: no access log at all.
    assert!(demo.log.recv_timeout(Duration::from_millis(200)).is_err());
}

#[test]
fn echo_reports_request() {
    let demo = Demo::start(&["--quiet"]);
    let mut c = demo.connect();
    c.send(
        b"POST /echo?a=1&b=2 HTTP/1.1\r\nHost: demo.test\r\nX-Multi: one\r\nX-Multi: two\r\n\
          X-Raw: \xff\xfe\r\nContent-Length: 11\r\n\r\nhello world",
    );
    let r = c.read();
    assert_eq!(r.status, 200);
    assert_eq!(r.header("content-type"), Some("application/json"));
    assert_eq!(r.header("x-demoapp-path"), Some("/echo?a=1&b=2"));
    let v: serde_json::Value = serde_json::from_slice(&r.body).unwrap();
    assert_eq!(v["method"], "POST");
    assert_eq!(v["path"], "/echo?a=1&b=2");
    assert_eq!(v["headers"]["host"], "demo.test");
    assert_eq!(v["headers"]["x-multi"], serde_json::json!(["one", "two"]));
    assert_eq!(v["headers"]["x-raw"], "\u{fffd}\u{fffd}");
    assert_eq!(v["body"], "hello world");

    // Chunked body on the same connection.
    c.send(
        b"PUT /echo HTTP/1.1\r\nHost: demo.test\r\nTransfer-Encoding: chunked\r\n\r\n\
          6\r\nchunk-\r\n4\r\ned!!\r\n0\r\n\r\n",
    );
    let v: serde_json::Value = serde_json::from_slice(&c.read().body).unwrap();
    assert_eq!(v["method"], "PUT");
    assert_eq!(v["body"], "chunk-ed!!");
}

#[test]
fn admin_fail_latency_and_stats() {
    let demo = Demo::start(&["--quiet"]);
    let v = demo.json("/admin/fail?status=503&count=2");
    assert_eq!(v["remaining"], 2);
    assert_eq!(demo.get("/").status, 503);
    assert_eq!(demo.get("/healthz").status, 200);
    assert_eq!(demo.get("/whatever").status, 503);
    assert_eq!(demo.get("/").status, 200);

    demo.json("/admin/fail?status=500");
    for _ in 0..3 {
        assert_eq!(demo.get("/").status, 500);
    }
    demo.json("/admin/fail?status=0");
    assert_eq!(demo.get("/").status, 200);

    assert_eq!(demo.get("/status/404").status, 404);
    assert_eq!(demo.get("/delay/1").status, 200);

    let v = demo.json("/admin/stats");
    // 3 + 3 + 1 + /status + /delay; /healthz and /admin/* are not counted.
    assert_eq!(v["requests"], 9);
    assert_eq!(v["by_path"]["/"], 6);
    assert_eq!(v["by_path"]["/whatever"], 1);
    assert_eq!(v["by_status"]["503"], 2);
    assert_eq!(v["by_status"]["500"], 3);
    assert!(v["by_path"].get("/healthz").is_none());

    demo.json("/admin/latency?ms=150");
    let t = Instant::now();
    assert_eq!(demo.get("/").status, 200);
    assert!(t.elapsed() >= Duration::from_millis(150));
    demo.json("/admin/latency?ms=0");

    let v = demo.json("/admin/reset");
    assert_eq!(v["requests"], 0);
}

#[test]
fn keep_alive_two_requests_one_connection() {
    let demo = Demo::start(&["--quiet"]);
    let mut c = demo.connect();
    c.send(b"GET /first HTTP/1.1\r\nHost: a\r\n\r\n");
    let r1 = c.read();
    assert_eq!(r1.status, 200);
    assert_eq!(r1.header("x-demoapp-path"), Some("/first"));
    assert_eq!(r1.header("connection"), None);
    c.send(b"GET /second?x=y HTTP/1.1\r\nHost: b\r\n\r\n");
    let r2 = c.read();
    assert_eq!(r2.status, 200);
    assert_eq!(r2.header("x-demoapp-path"), Some("/second?x=y"));
    assert_eq!(r2.header("x-demoapp-host"), Some("b"));

    // Pipelined: two requests in one write, then close.
    c.send(b"GET /p1 HTTP/1.1\r\nHost: a\r\n\r\nHEAD /p2 HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n");
    assert_eq!(c.read().header("x-demoapp-path"), Some("/p1"));
    let head = {
        // HEAD: headers only, body length announced but not sent.
        let mut line = String::new();
        c.reader.read_line(&mut line).unwrap();
        let mut rest = String::new();
        c.reader.read_to_string(&mut rest).unwrap();
        line + &rest
    };
    assert!(head.starts_with("HTTP/1.1 200 OK\r\n"), "{head}");
    assert!(head.contains("x-demoapp-path: /p2\r\n"));
    assert!(head.ends_with("connection: close\r\n\r\n"), "{head}");
}

#[test]
fn garbage_and_oversize_heads_get_error_and_close() {
    let demo = Demo::start(&["--quiet"]);

    let mut c = demo.connect();
    c.send(b"\xff\xfe garbage \x00\r\n\r\n");
    let r = c.read();
    assert_eq!(r.status, 400);
    assert_eq!(r.header("connection"), Some("close"));
    assert_eq!(r.header("x-demoapp-name"), Some("it-app"));
    assert!(c.closed());

    let mut c = demo.connect();
    let mut big = b"GET / HTTP/1.1\r\nX-Big: ".to_vec();
    big.extend(std::iter::repeat_n(b'a', 70 * 1024));
    big.extend_from_slice(b"\r\n\r\n");
    c.send(&big);
    assert_eq!(c.read().status, 431);
    assert!(c.closed());

    // Non-UTF-8 header values are fine.
    let mut c = demo.connect();
    c.send(b"GET / HTTP/1.1\r\nHost: h\xc3\x28\r\nX-Bin: \x80\x81\r\n\r\n");
    let r = c.read();
    assert_eq!(r.status, 200);

    // The server is still healthy after all that.
    assert_eq!(demo.get("/healthz").text(), "OK");
}

#[test]
fn many_concurrent_connections() {
    let demo = Demo::start(&["--quiet", "--latency-ms", "50"]);
    let addr = demo.addr;
    let t = Instant::now();
    let handles: Vec<_> = (0..64)
        .map(|i| {
            thread::spawn(move || {
                let mut s = TcpStream::connect(addr).unwrap();
                s.write_all(
                    format!("GET /c{i} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
                        .as_bytes(),
                )
                .unwrap();
                let mut out = String::new();
                s.read_to_string(&mut out).unwrap();
                out.starts_with("HTTP/1.1 200 ")
            })
        })
        .collect();
    for h in handles {
        assert!(h.join().unwrap());
    }
    // Served in parallel, not 64 × 50 ms.
    assert!(
        t.elapsed() < Duration::from_millis(2500),
        "{:?}",
        t.elapsed()
    );
    assert_eq!(demo.json("/admin/stats")["requests"], 64);
}
