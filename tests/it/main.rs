//! Integration tests, one binary so polars is linked once.

mod common;
mod corpus;
mod dashboard;
mod hostile;
mod pipeline;
mod reader;
