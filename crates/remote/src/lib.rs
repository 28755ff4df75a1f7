//! The remote tier of zerops-cache: a setup's layers shared through an
//! S3-compatible object store. Config and credentials, signed manifests
//! (HMAC or ed25519), content-defined trees, push and pull, epochs, locks,
//! quarantine, the memory of what this store saw, and `remote` admin
//! (ls, gc, verify).
//!
//! Public surface: `remote::tier` (what a build, `invalidate` and
//! `activate` call), `remote::admin` (the `remote` commands),
//! `remote::config` (`--remote` and its options, an open remote) and
//! `remote::sign::keygen`. Everything else is `pub(crate)`. It names the
//! lower crates' modules by their real paths.
//! Unsafe code: SIGPIPE around the object store's sockets (`remote::tier`);
//! file metadata calls go through rustix.

pub mod remote;
