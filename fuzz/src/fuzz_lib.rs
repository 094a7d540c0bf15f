//! sitrep's reading stages compiled on their own (they do not use polars), so that
//! cargo-fuzz instruments only what reads untrusted bytes.
#![allow(dead_code)]

#[path = "../../src/findings.rs"]
pub mod findings;
#[path = "../../src/gazetteer.rs"]
pub mod gazetteer;
#[path = "../../src/ingest/mod.rs"]
pub mod ingest;
#[path = "../../src/layout/mod.rs"]
pub mod layout;
#[path = "../../src/sym.rs"]
pub mod sym;
