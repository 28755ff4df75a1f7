//! The build container of zerops-cache: a user namespace with the
//! invoking user's subordinate ids, mounts and an overlay over the build
//! image's root filesystem, seccomp, dropped privileges, and the
//! container's init (one command). `--isolation none` runs on the host.
//!
//! Public surface: the [`sandbox`] module (`sandbox::run`, its options and
//! `merge_upper`, `unpack`, `userns`, used by the store, the image crate and
//! the commands); the fields of its options, ids and plans are
//! `pub(crate)` unless another crate sets or reads them. Unsafe code: namespaces, mounts and id maps are system
//! calls (each block says why it is sound).

pub mod sandbox;
