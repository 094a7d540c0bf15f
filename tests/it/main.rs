//! Integration tests, one binary so polars is linked once.

mod cli;
mod appgap;
mod changes;
mod common;
mod corpus;
mod dashboard;
mod gates;
mod hostile;
mod officials;
mod pipeline;
mod reader;
mod reports;
mod template;
mod workspace;
