//! The remote tier of zerops-cache: a setup's layers shared through an
//! S3-compatible object store. Config and credentials, signed manifests
//! (HMAC or ed25519), content-defined trees, push and pull, epochs, locks,
//! quarantine, the memory of what this store saw, and `remote` admin
//! (ls, gc, verify).
//!
//! Public surface: the [`remote`] module (`remote::tier` is what a build
//! calls; `remote::admin` what the `remote` commands call). It names the
//! lower crates' modules by their real paths.
//! Unsafe code: SIGPIPE around the object store's sockets (`remote::tier`);
//! file metadata calls go through rustix.

pub mod remote;
