//! Configs with errors in real Envoy: the filter refuses them with every diagnostic (code,
//! resource, line) in Envoy's log; a running config keeps serving; a bad first config serves
//! nothing until a good one arrives.

use meshroute_tests::harness::seed::{Seed, HOST};
use meshroute_tests::harness::{eventually, Reload, Role, Scenario};
use std::time::Duration;

/// The seed gateway config with a typo in the VirtualService (`destinaton`), and the 1-based
/// line of the typo in that text.
fn broken(seed: &Seed) -> (String, usize) {
    let good = seed.gateway_config();
    let bad = good.replacen("- destination:", "- destinaton:", 1);
    assert_ne!(good, bad, "template changed: no `- destination:` to break");
    let line = bad
        .lines()
        .position(|l| l.contains("destinaton:"))
        .map_or(0, |i| i + 1);
    (bad, line)
}

/// Asserts Envoy's log carries the diagnostic: code, resource, location and message.
fn assert_diagnostic_logged(s: &Scenario, line: usize) {
    let needle =
        format!("Error [MR0101] (VirtualService default/demoappv10 plugin-configuration:{line}:");
    let found = s.envoy.wait_for_log(&needle, Duration::from_secs(5));
    let log = s.envoy.log();
    assert!(
        found,
        "no {needle:?} in Envoy's log:\n{}",
        meshroute_tests::harness::tail(&log, 30)
    );
    let diag = log.lines().find(|l| l.contains(&needle)).unwrap_or("");
    assert!(
        diag.contains(r#"unknown field "destinaton""#)
            && diag.contains(r#"did you mean "destination"?"#),
        "{diag}"
    );
    assert!(
        log.contains("meshroute: configuration refused"),
        "no refusal line"
    );
}

#[test]
fn bad_config_update_is_refused_with_its_diagnostic_and_the_old_config_keeps_serving() {
    let Some(mut s) = Scenario::start("bad_config_update_is_refused", Role::Gateway, Seed::new)
    else {
        return;
    };
    assert_eq!(s.get(HOST, "/").status, 200);
    let (bad, line) = broken(&Seed::new(&s.net));
    assert_eq!(s.envoy.set_plugin_config(&bad), Ok(Reload::Rejected));
    assert_diagnostic_logged(&s, line);
    // The previous config still routes.
    for _ in 0..10 {
        let r = s.get(HOST, "/");
        assert_eq!(r.status, 200, "after a refused update: {}", r.summary());
    }
    s.assert_live();
    // And a good update is applied afterwards.
    let cfg = Seed::new(&s.net)
        .without_virtual_service()
        .write_gateway_config(s.dir.path())
        .expect("write");
    assert_eq!(s.envoy.reload(&cfg), Ok(Reload::Applied));
    assert!(
        eventually(Duration::from_secs(5), || (s.get(HOST, "/").status == 404)
            .then_some(()))
        .is_some(),
        "the good update did not take effect"
    );
}

#[test]
fn bad_initial_config_is_refused_and_nothing_is_routed_until_a_good_one_arrives() {
    let Some(mut s) = Scenario::start_with(
        "bad_initial_config_is_refused",
        Role::Gateway,
        &[],
        Seed::new,
        |o| {
            // The CLI refuses to write a bad config; put one in the ECDS file behind its back.
            o.initial_plugin_config(&broken(&Seed::new(&meshroute_tests::harness::Net::seed())).0)
        },
    ) else {
        return;
    };
    let (_, line) = broken(&Seed::new(&s.net));
    assert_diagnostic_logged(&s, line);
    // Envoy is up, but with no filter config it refuses every request (500, NFCF): never
    // forwarded without the filter's decision.
    s.assert_live();
    let r = s.get(HOST, "/");
    assert_eq!(r.status, 500, "{}", r.summary());
    assert_eq!(r.pod(), None);
    assert!(s.pods.iter().all(|p| p.requests() == 0));
    // A good config recovers it without a restart.
    let good = Seed::new(&s.net).gateway_config();
    assert_eq!(s.envoy.set_plugin_config(&good), Ok(Reload::Applied));
    let r = eventually(Duration::from_secs(5), || {
        let r = s.get(HOST, "/");
        (r.status == 200).then_some(r)
    });
    assert!(r.is_some(), "still not routing after a good config");
}
