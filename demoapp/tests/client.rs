//! The client modes (`--probe`, `--fetch`) of the real binary against a real demoapp.

use std::io::{BufRead, BufReader};
use std::net::{SocketAddr, TcpListener};
use std::process::{Child, Command, Output, Stdio};

struct Demo {
    child: Child,
    addr: SocketAddr,
}

impl Drop for Demo {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn start() -> Demo {
    let mut child = Command::new(env!("CARGO_BIN_EXE_demoapp"))
        .args(["--listen", "127.0.0.1:0", "--name", "cl-app", "--quiet"])
        .stdout(Stdio::piped())
        .spawn()
        .expect("spawn demoapp");
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let addr = line.trim_end().rsplit(' ').next().unwrap().parse().unwrap();
    Demo { child, addr }
}

fn demoapp(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_demoapp"))
        .args(args)
        .output()
        .expect("run demoapp")
}

#[test]
fn probe_exit_status() {
    let d = start();
    let ok = demoapp(&["--probe", &format!("http://{}/healthz", d.addr)]);
    assert!(ok.status.success(), "{ok:?}");
    assert!(ok.stdout.is_empty());
    let bad = demoapp(&["--probe", &format!("http://{}/status/503", d.addr)]);
    assert_eq!(bad.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&bad.stderr).contains("503"));
    // Nothing listens on a port we just bound and released.
    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let closed = demoapp(&["--probe", &format!("http://127.0.0.1:{port}/healthz")]);
    assert_eq!(closed.status.code(), Some(1));
}

#[test]
fn fetch_prints_bodies_headers_and_uses_a_proxy() {
    let d = start();
    let out = demoapp(&["--fetch", &format!("http://{}/", d.addr), "--count", "2"]);
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    assert_eq!(
        text.matches("iKubernetes demoapp v1.0 !! ClientIP: 127.0.0.1, ServerName: cl-app")
            .count(),
        2,
        "{text}"
    );

    let out = demoapp(&[
        "--fetch",
        &format!("http://{}/x?y=1", d.addr),
        "-H",
        "Host: demo.example",
        "-i",
    ]);
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.starts_with("HTTP/1.1 200 OK\r\n"), "{text}");
    assert!(text.contains("x-demoapp-host: demo.example\r\n"), "{text}");
    assert!(text.contains("x-demoapp-path: /x?y=1\r\n"), "{text}");

    // Through a "proxy": the request goes to --proxy in absolute form, Host from the URL.
    let out = demoapp(&[
        "--fetch",
        "http://demoappv10:8080/p",
        "--proxy",
        &d.addr.to_string(),
        "-i",
    ]);
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(
        text.contains("x-demoapp-host: demoappv10:8080\r\n"),
        "{text}"
    );

    let out = demoapp(&["--fetch", &format!("http://{}/status/404", d.addr)]);
    assert_eq!(out.status.code(), Some(1));
}
