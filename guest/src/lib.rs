//! Thin adapter between the WIT interface and `zerops-cache-policy`.
//! No rule lives here: each export converts types and calls the policy.
// The error type of the WIT functions is the generated `Diagnostic` record,
// returned by value as the interface says; it cannot be boxed across the
// boundary, and on 64-bit targets clippy finds it large.
#![allow(clippy::result_large_err)]

wit_bindgen::generate!({
    path: "../wit",
    world: "policy",
});

mod about;
mod advice;
mod assist;
mod images;
mod layers;
mod lint;
mod map;
mod patterns;
mod plan;
mod remote;
mod retention;
mod walk;

/// The component's single implementation type.
pub struct Component;

export!(Component);
