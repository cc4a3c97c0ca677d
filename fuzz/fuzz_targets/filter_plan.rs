//! The filter's request path (`meshroute_filter::plan::plan`) on arbitrary header names, values
//! and bytes, with a fixed configuration (the seed by default; `@config N` picks a scenario).
//! Input format: `meshroute_fuzz::parse_request`. Asserts, besides no panic:
//! - every control header the client sent (steering, mirroring, `x-envoy-*` router and fault
//!   controls) is removed or overwritten by the filter: after applying the plan's edits the way
//!   Envoy does, no client-sent value of such a header survives;
//! - a steering header left on the request names an endpoint of the table and comes with the
//!   cluster header; a request that is neither answered locally nor fault-aborted is steered;
//! - a local reply leaves no steering header behind;
//! - with no CR, LF or NUL in the request, none appears in any header the filter writes.
#![no_main]

use libfuzzer_sys::fuzz_target;
use meshroute_core::lb::SplitMix64;
use meshroute_core::route::LbState;
use meshroute_filter::plan::{
    plan, release, Edit, Incoming, CLUSTER_HEADER, CONTROL_HEADERS, ENDPOINT_HEADER,
    MIRROR_ENDPOINT_HEADERS, UPSTREAM_CLUSTER,
};
use meshroute_fuzz::{parse_request, prepared_bases};

/// A header value and who put it there.
#[derive(Debug, Clone, PartialEq)]
enum By {
    Client,
    Filter,
}

fuzz_target!(|data: &[u8]| {
    let bases = prepared_bases();
    let r = parse_request(data);
    let Some(Some(base)) = bases.get(r.config % bases.len().max(1)) else {
        return;
    };
    let t = &base.table;
    let mut lb = LbState::for_table(t);
    let inc = Incoming {
        filter_chain: b"",
        headers: &r.headers,
        source: r.source,
        listener_port: r.port.or(base.listener_port).unwrap_or(80),
    };
    let p = plan(
        t,
        r.debug || base.debug,
        &inc,
        &mut lb,
        0,
        &mut SplitMix64(data.len() as u64),
    );

    // Apply the request edits as Envoy's header map does (names case-insensitive; set replaces
    // every value, None removes, add appends).
    let mut hs: Vec<(String, Vec<u8>, By)> = r
        .headers
        .iter()
        .map(|(k, v)| (k.to_ascii_lowercase(), v.clone(), By::Client))
        .collect();
    for e in &p.request {
        match e {
            Edit::Set(k, v) => {
                let k = k.to_ascii_lowercase();
                hs.retain(|(h, _, _)| *h != k);
                if let Some(v) = v {
                    hs.push((k, v.clone().into_bytes(), By::Filter));
                }
            }
            Edit::Add(k, v) => {
                hs.push((k.to_ascii_lowercase(), v.clone().into_bytes(), By::Filter))
            }
        }
    }
    for (k, v, by) in &hs {
        assert!(
            !(CONTROL_HEADERS.contains(&k.as_str()) && *by == By::Client),
            "client value {:?} of control header {k} survived the plan {:?}",
            String::from_utf8_lossy(v),
            p.request
        );
    }
    let get = |name: &str| -> Vec<&[u8]> {
        hs.iter()
            .filter(|(k, _, _)| k == name)
            .map(|(_, v, _)| v.as_slice())
            .collect()
    };
    let endpoints: Vec<&str> = t
        .clusters
        .iter()
        .flat_map(|c| c.endpoints.iter().map(|e| e.address.as_str()))
        .collect();
    let steering = get(ENDPOINT_HEADER);
    assert!(steering.len() <= 1, "several steering values: {steering:?}");
    if let Some(ep) = steering.first() {
        assert!(p.reply.is_none(), "local reply with a steering header left");
        let list = std::str::from_utf8(ep).expect("filter writes UTF-8");
        let cluster = get(CLUSTER_HEADER);
        assert!(cluster.len() <= 1, "several cluster headers: {cluster:?}");
        let cluster = cluster
            .first()
            .map(|c| std::str::from_utf8(c).expect("utf-8"));
        if cluster == Some(meshroute_core::table::PASSTHROUGH_CLUSTER) {
            // ALLOW_ANY: one IP:PORT, the request's own destination (its authority), never a
            // name — the ORIGINAL_DST cluster cannot resolve one.
            assert!(
                list.parse::<std::net::SocketAddr>().is_ok(),
                "passthrough steers to {list:?}, not one IP:PORT"
            );
        } else {
            // One entry per attempt, each an endpoint of the table.
            for ep in list.split(',') {
                assert!(
                    endpoints.contains(&ep),
                    "steers to {ep}, not an endpoint of the table"
                );
            }
            // No cluster header: the bootstrap routes' default, the shared upstream cluster.
            // One: a service with an Envoy cluster of its own (connection-pool limits).
            if let Some(cluster) = cluster {
                assert!(
                    cluster != UPSTREAM_CLUSTER
                        && t.cluster(cluster).is_some_and(|c| c.needs_own_envoy_cluster()),
                    "cluster header {cluster} names no cluster of its own"
                );
            }
        }
    } else if p.reply.is_none() {
        let aborted = !get("x-envoy-fault-abort-request").is_empty()
            || !get("x-envoy-fault-abort-grpc-request").is_empty();
        assert!(
            aborted,
            "neither answered, aborted nor steered: {:?}",
            p.request
        );
    }
    for h in MIRROR_ENDPOINT_HEADERS {
        for v in get(h) {
            let v = std::str::from_utf8(v).expect("utf-8");
            assert!(endpoints.contains(&v), "mirror steers to {v}");
        }
    }
    // No header injection through values the filter builds from request bytes.
    let clean = r.headers.iter().all(|(k, v)| {
        !k.contains(['\r', '\n', '\0']) && !v.iter().any(|b| matches!(b, b'\r' | b'\n' | 0))
    });
    if clean {
        let bad = |s: &str| s.contains(['\r', '\n', '\0']);
        for e in p.request.iter().chain(&p.response.edits) {
            let (Edit::Set(k, Some(v)) | Edit::Add(k, v)) = e else {
                continue;
            };
            assert!(!bad(k) && !bad(v), "control character in edit {e:?}");
        }
        if let Some(rep) = &p.reply {
            for (k, v) in &rep.headers {
                assert!(
                    !bad(k) && !bad(v),
                    "control character in reply header {k}: {v:?}"
                );
            }
        }
    }
    release(&mut lb, p.in_flight);
    if let Some((c, i)) = p.in_flight {
        assert_eq!(
            lb.clusters[c as usize].in_flight[i], 0,
            "in-flight count leaked"
        );
    }
});
