//! Integration tests, one binary so polars is linked once.

mod archive;
mod cache;
mod cli;
mod common;
mod corpus;
mod dashboard;
mod hostile;
mod officials;
mod pipeline;
mod reader;
mod reports;
mod template;
mod workspace;
