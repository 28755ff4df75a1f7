//! Everything that talks to the policy component: loading it into wasmtime
//! (`load`), the generated bindings (`bindings`), and one module of typed
//! questions per WIT interface. Each question converts the WIT types into
//! the contract crate's data types through one table (`map`, shared with
//! the guest), so renderers and JSON output share one definition.

pub(crate) mod advice;
pub(crate) mod assist;
pub mod bindings;
pub(crate) mod images;
pub mod layers;
pub(crate) mod lint;
mod load;
pub(crate) mod map;
pub(crate) mod patterns;
pub mod plan;
pub mod remote;
mod remote_safety;
pub(crate) mod retention;
pub mod walk;

pub use load::*;
