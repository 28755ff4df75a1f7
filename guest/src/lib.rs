//! Thin adapter between the WIT interface and `zerops-cache-policy`.
//! No rule lives here: each export converts types and calls the policy.

wit_bindgen::generate!({
    path: "../wit",
    world: "policy",
});

mod about;
mod advice;
mod assist;
mod layers;
mod lint;
mod patterns;
mod plan;
mod retention;
mod walk;

/// The component's single implementation type.
pub struct Component;

export!(Component);
