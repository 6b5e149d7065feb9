//! duban (督办): turns a government implementation plan into tracked, accountable work.

pub mod domain;
