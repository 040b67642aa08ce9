//! See tests/app.rs and run.sh.
