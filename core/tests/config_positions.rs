//! Diagnostics for resources inside a config's `resources: |` block point into the config file:
//! the block's first line and its indentation are added back (line and column).

use meshroute_core::check::prepare;
use meshroute_core::resources::LoadOptions;

#[test]
fn block_resources_errors_point_at_line_and_column_of_the_config_text() {
    let cfg = "proxy: {kind: sidecar, namespace: default, labels: {app: sleep}}
resources: |
  apiVersion: v1
  kind: Service
  metadata: {name: web, namespace: default}
  spec:
    ports: [{name: http, port: 80}]
  ---
  apiVersion: networking.istio.io/v1
  kind: VirtualService
  metadata: {name: web, namespace: default}
  spec:
    hosts: [web]
    http:
    - route: [{destinaton: {host: web}}]
";
    let line = cfg.lines().position(|l| l.contains("destinaton")).unwrap() + 1;
    let col = cfg
        .lines()
        .nth(line - 1)
        .unwrap()
        .find("destinaton")
        .unwrap()
        + 1;
    let diags = prepare("c.yaml", cfg.as_bytes(), &LoadOptions::default())
        .err()
        .expect("refused");
    let d = diags
        .iter()
        .find(|d| d.message.contains("unknown field \"destinaton\""))
        .expect("MR0101");
    assert_eq!((d.line as usize, d.column as usize), (line, col), "{d}");
    assert_eq!(d.column_utf16 as usize, col);
}
