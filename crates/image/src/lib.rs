//! The build images of zerops-cache: an image reference (from the policy's
//! table or an override) pulled from an OCI registry with oci-client, the
//! registry auth files, the shared image store with its digests and
//! pruning, and the unpacking of layers into a root filesystem.
//!
//! Public surface: the [`image`] module (used by the `images` and `build`
//! commands). The lower crates' modules are re-exported under the paths of
//! the one-crate host. No unsafe code: the system calls of unpacking
//! (mknod, xattrs) go through rustix.

#![forbid(unsafe_code)]

pub(crate) use zerops_cache_base::exit;
pub(crate) use zerops_cache_component::component;
pub(crate) use zerops_cache_sandbox::sandbox;
pub(crate) use zerops_cache_store::store;

pub mod image;
