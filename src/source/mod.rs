//! Sources: where raw messages come from. [`nats`] subscribes to a live lattice; [`file`] reads a
//! capture or stdin. Both hand borrowed [`crate::event::RawMessage`]s to the pipeline and flush it
//! whenever no further message is immediately ready.

pub mod ctl;
pub mod file;
pub mod intake;
pub mod jetstream;
pub mod nats;
pub mod replay;
pub mod wadm;
pub mod workloads;

/// Time limits on a run (`--timeout`, `--idle-timeout`); each driver enforces them its own way.
#[derive(Debug, Clone, Copy, Default)]
pub struct Limits {
    pub timeout: Option<std::time::Duration>,
    pub idle: Option<std::time::Duration>,
}
