//! Sources: where raw messages come from. [`nats`] subscribes to a live lattice; [`file`] reads a
//! capture or stdin. Both hand borrowed [`crate::event::RawMessage`]s to the pipeline and flush it
//! whenever no further message is immediately ready.

pub mod context;
pub mod file;
pub mod nats;
