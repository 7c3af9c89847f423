//! The engine's on-call handling over a real store.
