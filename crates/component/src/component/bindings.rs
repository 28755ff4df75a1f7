//! Host bindings generated from `wit/`, in one place.

wasmtime::component::bindgen!({
    path: "../../wit",
    world: "policy",
});
