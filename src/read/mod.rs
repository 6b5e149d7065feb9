//! The read side (查询): every view that pages, the API, exports and benchmarks show, built
//! from a fixed number of queries whatever the volume, and the rules of who may see what.
//! Handlers check access, call one function here and render its result.

pub mod audit;
pub mod closing;
pub mod filter;
pub mod grid;
pub mod ledger;
pub mod names;
pub mod progress;
pub mod scope;
pub mod scorecard;
pub mod views;
pub mod workbench;

pub use progress::LightRules;
pub use scope::visible_to;
