//! Terraform: `aws_cloudwatch_event_rule` resources in `*.tf` files.
//! (In progress.)

use std::sync::Arc;

use super::doc::{ReadError, SourceFile};
use super::RuleSource;

pub(super) fn rules(_file: &Arc<SourceFile>) -> Result<Vec<RuleSource>, ReadError> {
    Ok(Vec::new())
}
