//! `HostHeartbeat`: a v2 host's periodic broadcast, and the reply to a `heartbeat` request.

use chrono::{DateTime, Utc};
use serde::Deserialize;

use super::de;

/// What a v2 heartbeat says about its host (`host_heartbeat.proto`), as far as a watcher needs.
///
/// Strings are empty and counts zero when the host omitted them (protojson omits zero values).
/// The heartbeat carries counts, not an inventory: no workload ids or names. The plugins' WIT
/// `imports`/`exports` (constant for a host's life) and `osKernel` are not kept.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct HostBeat {
    /// The host id: a new time-ordered UUID on every host start.
    pub id: String,
    /// `--host-name`, or else the machine name.
    pub hostname: String,
    /// A random name, new on every start; the operator's Host object is named after it.
    pub friendly_name: String,
    /// The host's wasmCloud version (`2.10.3`).
    pub version: String,
    /// The `hostgroup` label (`--host-group`, default `default`); `None` when absent or empty.
    pub hostgroup: Option<String>,
    /// The tenant environment (`--environment`); `None` when absent or empty.
    pub environment: Option<String>,
    /// When the host started; `None` when absent.
    pub started_at: Option<DateTime<Utc>>,
    /// The host's HTTP listener port; `None` when absent or 0.
    pub http_port: Option<u32>,
    /// Components of the host's **Running** workloads (a service is not counted).
    pub component_count: u64,
    /// Every workload the host holds, including those held in Error.
    pub workload_count: u64,
    /// `x86_64`, `aarch64`, …
    pub os_arch: String,
    /// `linux`, `macos`, …
    pub os_name: String,
    /// Global CPU usage in percent (0–100, all cores); `None` when absent.
    pub system_cpu_usage: Option<f64>,
    /// Total memory in bytes; `None` when absent.
    pub system_memory_total: Option<u64>,
    /// Free memory in bytes; `None` when absent.
    pub system_memory_free: Option<u64>,
}

/// The wire form. Unknown keys, `imports` and `exports` included, are skipped by serde's derive
/// with `IgnoredAny`: nothing is allocated for them.
#[derive(Deserialize, Default)]
#[serde(default)]
struct Wire {
    #[serde(deserialize_with = "de::string")]
    id: String,
    #[serde(deserialize_with = "de::string")]
    hostname: String,
    #[serde(
        rename = "friendlyName",
        alias = "friendly_name",
        deserialize_with = "de::string"
    )]
    friendly_name: String,
    #[serde(deserialize_with = "de::string")]
    version: String,
    labels: Option<Labels>,
    #[serde(deserialize_with = "de::opt_string")]
    environment: Option<String>,
    #[serde(
        rename = "startedAt",
        alias = "started_at",
        deserialize_with = "de::opt_time"
    )]
    started_at: Option<DateTime<Utc>>,
    #[serde(
        rename = "httpPort",
        alias = "http_port",
        deserialize_with = "de::opt_nonzero_u32"
    )]
    http_port: Option<u32>,
    #[serde(
        rename = "componentCount",
        alias = "component_count",
        deserialize_with = "de::u64_or_zero"
    )]
    component_count: u64,
    #[serde(
        rename = "workloadCount",
        alias = "workload_count",
        deserialize_with = "de::u64_or_zero"
    )]
    workload_count: u64,
    #[serde(rename = "osArch", alias = "os_arch", deserialize_with = "de::string")]
    os_arch: String,
    #[serde(rename = "osName", alias = "os_name", deserialize_with = "de::string")]
    os_name: String,
    #[serde(
        rename = "systemCpuUsage",
        alias = "system_cpu_usage",
        deserialize_with = "de::opt_f64"
    )]
    system_cpu_usage: Option<f64>,
    #[serde(
        rename = "systemMemoryTotal",
        alias = "system_memory_total",
        deserialize_with = "de::opt_u64"
    )]
    system_memory_total: Option<u64>,
    #[serde(
        rename = "systemMemoryFree",
        alias = "system_memory_free",
        deserialize_with = "de::opt_u64"
    )]
    system_memory_free: Option<u64>,
}

/// `labels`: a string map of which only `hostgroup` is read (the only label a v2 host sets).
#[derive(Deserialize, Default)]
#[serde(default)]
struct Labels {
    #[serde(deserialize_with = "de::opt_string")]
    hostgroup: Option<String>,
}

/// Decodes a `HostHeartbeat`: the compact broadcast on `runtime.operator.heartbeat.<id>` and the
/// pretty reply to a `runtime.host.<id>.heartbeat` request alike.
///
/// Follows the module's decoding rules (camelCase or snake_case keys, missing keys are zero
/// values, 64-bit integers as strings or numbers). A value of the wrong type (a count that is
/// not an integer or overflows 64 bits, a `startedAt` that is not RFC 3339, …) makes the whole
/// message an error: the error is a short reason, never payload text.
pub fn parse_heartbeat(payload: &[u8]) -> Result<HostBeat, String> {
    let w: Wire = de::from_object(payload)?;
    Ok(HostBeat {
        id: w.id,
        hostname: w.hostname,
        friendly_name: w.friendly_name,
        version: w.version,
        hostgroup: w.labels.and_then(|l| l.hostgroup),
        environment: w.environment,
        started_at: w.started_at,
        http_port: w.http_port,
        component_count: w.component_count,
        workload_count: w.workload_count,
        os_arch: w.os_arch,
        os_name: w.os_name,
        system_cpu_usage: w.system_cpu_usage,
        system_memory_total: w.system_memory_total,
        system_memory_free: w.system_memory_free,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn snake_case_keys_parse() {
        let beat = parse_heartbeat(
            br#"{"id":"h1","hostname":"lab-c","friendly_name":"calm-sea-1","version":"2.10.3",
                "labels":{"hostgroup":"gpu","other":"x"},"started_at":"2026-12-02T09:14:28Z",
                "os_arch":"aarch64","os_name":"linux","system_cpu_usage":12.5,
                "system_memory_total":"100","system_memory_free":40,
                "component_count":"3","workload_count":2,"http_port":8080,
                "environment":"tenant-c","imports":[{"namespace":"wasi"}]}"#,
        )
        .unwrap();
        assert_eq!(
            beat,
            HostBeat {
                id: "h1".into(),
                hostname: "lab-c".into(),
                friendly_name: "calm-sea-1".into(),
                version: "2.10.3".into(),
                hostgroup: Some("gpu".into()),
                environment: Some("tenant-c".into()),
                started_at: Some("2026-12-02T09:14:28Z".parse().unwrap()),
                http_port: Some(8080),
                component_count: 3,
                workload_count: 2,
                os_arch: "aarch64".into(),
                os_name: "linux".into(),
                system_cpu_usage: Some(12.5),
                system_memory_total: Some(100),
                system_memory_free: Some(40),
            }
        );
    }

    #[test]
    fn empty_object_is_all_zero_values() {
        assert_eq!(parse_heartbeat(b"{}").unwrap(), HostBeat::default());
        let beat = parse_heartbeat(
            br#"{"labels":null,"environment":"","startedAt":"","httpPort":0,"workloadCount":null}"#,
        )
        .unwrap();
        assert_eq!(beat, HostBeat::default());
        let beat = parse_heartbeat(br#"{"labels":{"hostgroup":""}}"#).unwrap();
        assert_eq!(beat.hostgroup, None);
    }

    #[test]
    fn wrong_values_are_errors() {
        for json in [
            r#"{"workloadCount":"18446744073709551616"}"#,
            r#"{"componentCount":"-SECRET"}"#,
            r#"{"httpPort":70000000000}"#,
            r#"{"startedAt":"SECRET"}"#,
            r#"{"labels":"SECRET"}"#,
            r#"{"id":42}"#,
            r#"{"id":"a","id":"b"}"#,
            r#"{"friendlyName":"a","friendly_name":"b"}"#,
            r#"[]"#,
            "not json SECRET",
        ] {
            let err = parse_heartbeat(json.as_bytes()).unwrap_err();
            assert!(!err.contains("SECRET"), "{json}: {err}");
            assert!(err.len() < 80, "{err}");
        }
    }
}
