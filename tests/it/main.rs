//! Integration tests, one binary so polars is linked once.

mod common;
mod corpus;
mod pipeline;
mod reports;
