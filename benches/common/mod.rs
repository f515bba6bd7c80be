//! Real-shaped payloads for the benchmarks, built like a wasmCloud 1.9 host builds them: envelope
//! keys in cloudevents-sdk order, `data` keys sorted, ULID-style ids, wadm's four annotations.
#![allow(dead_code)] // each benchmark uses a different part

const HOST: &str = "NV3CJLKH7RKUKN4IIRFEAO2TUSPZ3U7EEWV4CTHQQ4AOQXGZM7S2H2UK";
const ANNOTATIONS: &str = r#"{"wasmcloud.dev/appspec":"rust-hello-world","wasmcloud.dev/managed-by":"wadm","wasmcloud.dev/scaler":"3b2f79690dd416f9d2d8a24f6cc144b794161f77611a113193175c18287ca89e","wasmcloud.dev/spread_name":"default"}"#;

fn id(seq: u64) -> String {
    let hex = format!("{:012x}{:020x}", 0x0198_a7d9_c320u64 + seq / 1000, seq);
    format!(
        "{}-{}-{}-{}-{}",
        &hex[0..8],
        &hex[8..12],
        &hex[12..16],
        &hex[16..20],
        &hex[20..32]
    )
}

fn time(seq: u64) -> String {
    let seconds = seq / 1000;
    format!(
        "2026-11-24T{:02}:{:02}:{:02}.{:09}Z",
        (seconds / 3600) % 24,
        (seconds / 60) % 60,
        seconds % 60,
        (seq % 1000) * 1_000_000 + 104_338
    )
}

/// A `component_scaled` of about 560 bytes, as wadm's scaler causes them.
pub fn component_scaled(seq: u64) -> String {
    format!(
        r#"{{"specversion":"1.0","id":"{}","type":"com.wasmcloud.lattice.component_scaled","source":"{HOST}","datacontenttype":"application/json","time":"{}","data":{{"annotations":{ANNOTATIONS},"component_id":"rust_hello_world-http_component","host_id":"{HOST}","image_ref":"ghcr.io/wasmcloud/components/http-hello-world-rust:0.1.0","max_instances":{}}}}}"#,
        id(seq),
        time(seq),
        seq % 50 + 1
    )
}

/// A `host_heartbeat` listing `components` wadm-managed components and 3 providers.
pub fn heartbeat(host: &str, name: &str, components: usize, seq: u64) -> String {
    heartbeat_of(host, name, &Inventory::new(components), seq)
}

/// The `components` and `providers` JSON of a heartbeat, built once and reused across rounds.
pub struct Inventory {
    components: String,
    providers: String,
}

impl Inventory {
    pub fn new(components: usize) -> Inventory {
        let components = (0..components)
            .map(|c| {
                format!(
                    r#"{{"annotations":{ANNOTATIONS},"id":"app{}-component{c}","image_ref":"ghcr.io/example/app{}/component{c}:1.0.{}","limits":null,"max_instances":{},"name":"component-{c}","revision":0}}"#,
                    c % 7,
                    c % 7,
                    c % 3,
                    c % 5 + 1
                )
            })
            .collect::<Vec<_>>()
            .join(",");
        let providers = (0..3)
            .map(|p| {
                format!(
                    r#"{{"annotations":{ANNOTATIONS},"id":"provider{p}","image_ref":"ghcr.io/wasmcloud/provider{p}:0.27.0","name":"Provider {p}","revision":0}}"#
                )
            })
            .collect::<Vec<_>>()
            .join(",");
        Inventory {
            components,
            providers,
        }
    }
}

/// A heartbeat of `host` with a prebuilt inventory, `seq` deciding id, time and uptime.
pub fn heartbeat_of(host: &str, name: &str, inventory: &Inventory, seq: u64) -> String {
    let uptime = 30 * (seq + 1);
    format!(
        r#"{{"specversion":"1.0","id":"{}","type":"com.wasmcloud.lattice.host_heartbeat","source":"{host}","datacontenttype":"application/json","time":"{}","data":{{"components":[{}],"friendly_name":"{name}","host_id":"{host}","labels":{{"hostcore.arch":"x86_64","hostcore.os":"linux","hostcore.osfamily":"unix","zone":"us-east-1"}},"providers":[{}],"uptime_human":"{}m {}s","uptime_seconds":{uptime},"version":"1.9.2"}}}}"#,
        id(seq),
        time(seq),
        inventory.components,
        inventory.providers,
        uptime / 60,
        uptime % 60
    )
}

/// A host key for host number `n` (56 characters, like an nkey).
pub fn host_key(n: usize) -> String {
    format!("N{:0>55}", format!("{n:X}"))
}

/// Other kinds, for a realistic mix.
pub fn other(seq: u64) -> String {
    match seq % 4 {
        0 => format!(
            r#"{{"specversion":"1.0","id":"{}","type":"com.wasmcloud.lattice.health_check_status","source":"{HOST}","datacontenttype":"application/json","time":"{}","data":{{"host_id":"{HOST}","provider_id":"rust_hello_world-httpserver"}}}}"#,
            id(seq),
            time(seq)
        ),
        1 => format!(
            r#"{{"specversion":"1.0","id":"{}","type":"com.wasmcloud.lattice.linkdef_set","source":"{HOST}","datacontenttype":"application/json","time":"{}","data":{{"interfaces":["incoming-handler"],"name":"default","source_config":["rust_hello_world-source_config-http"],"source_id":"rust_hello_world-httpserver","target":"rust_hello_world-http_component","target_config":[],"wit_namespace":"wasi","wit_package":"http"}}}}"#,
            id(seq),
            time(seq)
        ),
        2 => format!(
            r#"{{"specversion":"1.0","id":"{}","type":"com.wasmcloud.lattice.component_scale_failed","source":"{HOST}","datacontenttype":"application/json","time":"{}","data":{{"annotations":{ANNOTATIONS},"component_id":"rust_hello_world-http_component","error":"failed to fetch component: failed to fetch OCI bytes: manifest unknown","host_id":"{HOST}","image_ref":"ghcr.io/wasmcloud/components/http-hello-world-rust:0.1.1","max_instances":4}}}}"#,
            id(seq),
            time(seq)
        ),
        _ => format!(
            r#"{{"specversion":"1.0","id":"{}","type":"com.wasmcloud.lattice.config_set","source":"{HOST}","datacontenttype":"application/json","time":"{}","data":{{"config_name":"rust_hello_world-source_config-http"}}}}"#,
            id(seq),
            time(seq)
        ),
    }
}
