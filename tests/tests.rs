//! End-to-end tests: the real `envkb` binary on real index directories.
//! One test binary for all of them, to save link time.

mod suite;
