//! The policy component of zerops-cache, as the host sees it.
//!
//! `build.rs` builds the guest crate for `wasm32-unknown-unknown`, wraps it
//! into a WebAssembly component and precompiles it for this machine; the
//! bytes are embedded. [`component`] loads it into wasmtime (`PolicyHost`)
//! and asks it questions, one module of typed questions per WIT interface,
//! converting WIT types to the contract crate's types through one table.
//! Every rule of the host is asked here: no other crate decides anything.
//!
//! Public surface: the [`component`] module (its path is kept from when the
//! host was one crate, so `crate::component::…` paths read the same in
//! every crate); inside it `pub` is what another crate or the e2e tests use
//! (`PolicyHost` and its questions, `bindings`, the modules whose types the
//! questions return), everything else `pub(crate)`. Unsafe code: wasmtime's
//! `Component::deserialize` of the embedded precompiled code.

pub mod component;
