//! Integration tests, one binary so polars is linked once.

mod cli;
mod common;
mod corpus;
mod officials;
mod pipeline;
mod template;
mod workspace;
