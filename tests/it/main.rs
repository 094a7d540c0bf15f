//! Integration tests, one binary so polars is linked once.

mod archive;
mod cache;
mod campaign;
mod cli;
mod appgap;
mod changes;
mod common;
mod corpus;
mod dashboard;
mod gates;
mod hostile;
mod institutions;
mod national;
mod officials;
mod pipeline;
mod reader;
mod receipts;
mod reports;
mod template;
mod workspace;
