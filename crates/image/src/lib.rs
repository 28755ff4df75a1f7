//! The build images of zerops-cache: an image reference (from the policy's
//! table or an override) pulled from an OCI registry with oci-client, the
//! registry auth files, the shared image store with its digests and
//! pruning, and the unpacking of layers into a root filesystem.
//!
//! Public surface: the [`image`] module (used by the `images` and `build`
//! commands and the e2e tests); inside it everything else is `pub(crate)`,
//! the image store's record fields included unless a command reads them.
//! It names the lower crates' modules by their real paths.
//! No unsafe code: the system calls of unpacking
//! (mknod, xattrs) go through rustix.

#![forbid(unsafe_code)]

pub mod image;
