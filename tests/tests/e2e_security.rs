//! What a hostile client can and cannot do to the meshroute filter in real Envoy.

use meshroute_tests::harness::http::{self, Conn};
use meshroute_tests::harness::seed::{Seed, HOST};
use meshroute_tests::harness::{raw, Role, Scenario};
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

#[test]
fn client_steering_headers_never_choose_the_endpoint() {
    let Some(mut s) = Scenario::start(
        "client_steering_headers_never_choose_the_endpoint",
        Role::Gateway,
        Seed::new,
    ) else {
        return;
    };
    // v1.1 pods are not behind demoappv10; the admin port is Envoy's own.
    let v11 = s.net.addr(41, 8080).to_string();
    let admin = s.envoy.admin_addr().to_string();
    for target in [v11.as_str(), admin.as_str(), "127.0.0.1:1"] {
        for _ in 0..10 {
            let r = s.get_with(
                HOST,
                "/",
                &[
                    ("x-meshroute-endpoint", target),
                    ("x-meshroute-cluster", "meshroute_mirror"),
                    ("x-meshroute-mirror-cluster", "meshroute_mirror"),
                    ("x-meshroute-mirror-endpoint", target),
                    ("x-envoy-fault-abort-request", "418"),
                ],
            );
            assert_eq!(r.status, 200, "steering to {target}: {}", r.summary());
            let pod = r.pod().unwrap_or("");
            assert!(pod.starts_with("demoappv10-"), "steered to {pod:?}");
            // The endpoint the filter chose is the one that answered.
            let server = format!("{}:8080", r.header("x-demoapp-server-ip").unwrap_or("?"));
            assert_eq!(r.header("x-meshroute-endpoint"), Some(server.as_str()));
        }
    }
    for p in &s.pods {
        if p.version == "v1.1" {
            assert_eq!(p.requests(), 0, "{} was reached", p.name);
        }
    }
    // The steering header never reaches a pod.
    let r = s.get_with(HOST, "/echo", &[("x-meshroute-endpoint", &v11)]);
    let echo = r.text();
    assert!(
        !echo.contains("x-meshroute-endpoint"),
        "upstream saw {echo}"
    );
    s.assert_live();
}

#[test]
fn non_utf8_header_bytes_get_a_normal_answer() {
    let Some(mut s) = Scenario::start(
        "non_utf8_header_bytes_get_a_normal_answer",
        Role::Gateway,
        |net| Seed::new(net).load_balancer(Some("{consistentHash: {httpHeaderName: x-user}}")),
    ) else {
        return;
    };
    let headers: [(&str, &[u8]); 2] = [
        ("x-bin", b"caf\xe9 \xff\xfe latin1"),
        // The consistent-hash header itself, not UTF-8.
        ("x-user", b"\x80\x81\x82"),
    ];
    for _ in 0..5 {
        let r = http::get_bytes(s.addr(), HOST, "/echo", &headers).expect("request");
        assert_eq!(r.status, 200, "{}", r.summary());
        assert!(r.pod().is_some_and(|p| p.starts_with("demoappv10-")));
        assert!(r.text().contains("x-bin"), "echo: {}", r.text());
    }
    s.assert_live();
}

#[test]
fn ready_stays_live_under_hostile_traffic() {
    let Some(mut s) = Scenario::start(
        "ready_stays_live_under_hostile_traffic",
        Role::Gateway,
        Seed::new,
    ) else {
        return;
    };
    let admin = s.envoy.admin_addr();
    let addr = s.addr();
    let stop = AtomicBool::new(false);
    let not_live = std::thread::scope(|sc| {
        let watcher = sc.spawn(|| {
            let mut bad = Vec::new();
            let mut polls = 0;
            while !stop.load(Ordering::Relaxed) {
                match http::get(admin, "localhost", "/ready", &[]) {
                    Ok(r) if r.text().trim() == "LIVE" => {}
                    Ok(r) => bad.push(r.summary()),
                    Err(e) => bad.push(e.to_string()),
                }
                polls += 1;
                std::thread::sleep(Duration::from_millis(20));
            }
            (polls, bad)
        });
        for i in 0..40u32 {
            // Garbage a client may send: odd bytes, huge and empty headers, unknown hosts,
            // absolute-form to elsewhere, requests abandoned halfway.
            let big = "a".repeat(8000);
            let headers: [(&str, &[u8]); 3] = [
                ("x-a", b"\xc3\x28\xa0\xa1\xf0\x28\x8c\xbc"),
                ("x-big", big.as_bytes()),
                ("x-empty", b""),
            ];
            let r = http::get_bytes(addr, HOST, &format!("/{i}"), &headers).expect("odd headers");
            assert_eq!(r.status, 200, "{}", r.summary());
            let r = http::get(addr, "unknown.example", "/", &[]).expect("unknown host");
            assert_eq!(r.status, 404);
            let r = raw::send(
                addr,
                b"GET http://169.254.169.254/latest/meta-data HTTP/1.1\r\nHost: 169.254.169.254\r\nConnection: close\r\n\r\n",
            )
            .expect("absolute-form");
            assert_eq!(r.status, 404, "{}", r.summary());
            raw::abandon(
                addr,
                format!("GET / HTTP/1.1\r\nHost: {HOST}\r\nx-half").as_bytes(),
            );
            let mut c = Conn::open(addr).expect("connect");
            let r = c
                .request("GET", "/", HOST, &[], true)
                .expect("keep-alive 1");
            assert_eq!(r.status, 200);
            let r = c
                .request("GET", "/", "nope", &[], true)
                .expect("keep-alive 2");
            assert_eq!(r.status, 404);
        }
        stop.store(true, Ordering::Relaxed);
        watcher.join().expect("watcher")
    });
    let (polls, bad) = not_live;
    assert!(polls > 0);
    assert!(
        bad.is_empty(),
        "/ready was not LIVE {} times: {bad:?}",
        bad.len()
    );
    s.assert_live();
    // No wasm VM failed and was reloaded (a panic in the filter would show here).
    assert_eq!(s.envoy.stat("wasm.meshroute.vm_reload"), Some(0));
}
