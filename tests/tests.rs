//! End-to-end tests: the real `envkb` binary on real index directories.
//! One test binary for all of them, to save link time.
// A failing unwrap in a test or its helpers is a failing test, which is what it should be.
#![allow(clippy::unwrap_used)]

mod suite;
