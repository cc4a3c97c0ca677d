//! What the Envoy tab must not show: private keys and whole certificates. The files
//! `meshroute bootstrap` writes carry them (SDS files inline the PEM, the ECDS file embeds the
//! Secrets among the resources); the page shows them with each private key replaced by a
//! placeholder and each certificate or CA bundle by its SHA-256 fingerprint and subject.

use meshroute_core::certs::parse_certificates;
use meshroute_core::compile::decode_base64;
use meshroute_core::yaml::parse_documents;
use serde_json::Value;

/// Shown instead of a private key.
pub const KEY_PLACEHOLDER: &str = "<private key redacted>";

/// A PEM value as the page may show it: certificates by fingerprint and subject, anything else
/// (a key, text that is not a certificate) by a placeholder.
fn describe(pem: &str) -> String {
    match parse_certificates(pem.as_bytes()) {
        Ok(certs) => {
            let each: Vec<String> = certs
                .iter()
                .map(|c| format!("sha256:{} {}", c.sha256, c.subject))
                .collect();
            format!(
                "<{} certificate(s) redacted: {}>",
                certs.len(),
                each.join("; ")
            )
        }
        Err(_) if pem.contains("PRIVATE KEY") => KEY_PLACEHOLDER.into(),
        Err(_) => "<redacted>".into(),
    }
}

/// An SDS file (JSON) with its inline PEM replaced: `private_key` by the placeholder,
/// `certificate_chain` and `trusted_ca` by their fingerprints. Unparsable text is replaced
/// whole (it is never shown as is).
pub fn sds(text: &str) -> String {
    let Ok(mut v) = serde_json::from_str::<Value>(text) else {
        return KEY_PLACEHOLDER.into();
    };
    walk_sds(&mut v, None);
    serde_json::to_string_pretty(&v).unwrap_or_else(|_| KEY_PLACEHOLDER.into())
}

fn walk_sds(v: &mut Value, field: Option<&str>) {
    match v {
        Value::Object(m) => {
            for (k, child) in m.iter_mut() {
                if k == "inline_string" || k == "inline_bytes" {
                    let shown = match field {
                        Some("private_key") => KEY_PLACEHOLDER.to_string(),
                        _ => describe(child.as_str().unwrap_or("")),
                    };
                    *child = Value::String(shown);
                } else {
                    walk_sds(child, Some(k));
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(|i| walk_sds(i, field)),
        _ => {}
    }
}

/// The `resources` of a plugin configuration (a multi-document YAML string or a list) as a
/// list of documents in which every Secret's `data` and `stringData` values are redacted.
pub fn resources(r: &Value) -> Value {
    let mut docs: Vec<Value> = match r {
        Value::String(text) => parse_documents(
            text,
            &meshroute_core::resources::LoadOptions::default().limits,
        )
        .into_iter()
        .filter_map(|d| d.node)
        .filter_map(|n| serde_json::to_value(&n).ok())
        .collect(),
        Value::Array(items) => items.clone(),
        other => vec![other.clone()],
    };
    for d in &mut docs {
        walk_resources(d);
    }
    Value::Array(docs)
}

fn walk_resources(v: &mut Value) {
    match v {
        Value::Object(m) => {
            if m.get("kind").and_then(Value::as_str) == Some("Secret") {
                for (field, base64) in [("data", true), ("stringData", false)] {
                    if let Some(Value::Object(entries)) = m.get_mut(field) {
                        for val in entries.values_mut() {
                            let raw = val.as_str().unwrap_or("");
                            let text = if base64 {
                                decode_base64(raw)
                            } else {
                                raw.to_string()
                            };
                            *val = Value::String(describe(&text));
                        }
                    }
                }
            } else {
                m.values_mut().for_each(walk_resources);
            }
        }
        Value::Array(items) => items.iter_mut().for_each(walk_resources),
        _ => {}
    }
}
