//! The catalogue of bundled sample events (`cli/samples/`, compiled in):
//! the kinds `evrule sample` prints, their help text, and the table of
//! which `detail-type`s each AWS `source` sends, which `check`'s lint reads.
//! One list of what AWS sends, shared by the commands and the flags.

use crate::sources::doc::Node;
use crate::sources::json;

/// One kind of event.
pub struct Kind {
    /// What the user types.
    pub name: &'static str,
    /// What it is, for `--list` and help.
    pub about: &'static str,
    /// The example it is made from.
    pub template: &'static str,
}

macro_rules! event {
    ($file:literal) => {
        include_str!(concat!("../samples/", $file))
    };
}

pub const KINDS: &[Kind] = &[
    Kind {
        name: "object-created",
        about: "S3 \"Object Created\"",
        template: event!("s3-object-created.json"),
    },
    Kind {
        name: "object-deleted",
        about: "S3 \"Object Deleted\" (--reason \"Lifecycle Expiration\" for lifecycle)",
        template: event!("s3-object-deleted-deleteobject.json"),
    },
    Kind {
        name: "object-restore-initiated",
        about: "S3 \"Object Restore Initiated\"",
        template: event!("s3-object-restore-initiated.recorded.json"),
    },
    Kind {
        name: "object-restore-completed",
        about: "S3 \"Object Restore Completed\"",
        template: event!("s3-object-restore-completed.json"),
    },
    Kind {
        name: "object-restore-expired",
        about: "S3 \"Object Restore Expired\"",
        template: event!("s3-object-restore-expired.constructed.json"),
    },
    Kind {
        name: "object-tags-added",
        about: "S3 \"Object Tags Added\"",
        template: event!("s3-object-tags-added.constructed.json"),
    },
    Kind {
        name: "object-tags-deleted",
        about: "S3 \"Object Tags Deleted\"",
        template: event!("s3-object-tags-deleted.constructed.json"),
    },
    Kind {
        name: "object-acl-updated",
        about: "S3 \"Object ACL Updated\"",
        template: event!("s3-object-acl-updated.recorded.json"),
    },
    Kind {
        name: "object-storage-class-changed",
        about: "S3 \"Object Storage Class Changed\"",
        template: event!("s3-object-storage-class-changed.constructed.json"),
    },
    Kind {
        name: "object-access-tier-changed",
        about: "S3 \"Object Access Tier Changed\"",
        template: event!("s3-object-access-tier-changed.constructed.json"),
    },
    Kind {
        name: "object-annotation-created",
        about: "S3 \"Object Annotation Created\"",
        template: event!("s3-object-annotation-created.json"),
    },
    Kind {
        name: "object-annotation-removed",
        about: "S3 \"Object Annotation Removed\"",
        template: event!("s3-object-annotation-removed.json"),
    },
    Kind {
        name: "s3-legacy",
        about: "S3 event notification, legacy format ({\"Records\": [...]}; --event-name ObjectCreated:Put)",
        template: event!("s3-legacy-objectcreated-put.json"),
    },
    Kind {
        name: "cloudtrail",
        about: "\"AWS API Call via CloudTrail\" (--event-source s3.amazonaws.com --event-name CreateBucket)",
        template: event!("cloudtrail-s3-createbucket.json"),
    },
    Kind {
        name: "apigw-putevents",
        about: "an API Gateway PutEvents entry as EventBridge delivers it (--entry: the request)",
        template: event!("apigw-putevents-delivered.constructed.json"),
    },
];

pub const LIFECYCLE_DELETE: &str = event!("s3-object-deleted-lifecycle.json");
pub const PUTEVENTS_REQUEST: &str = event!("apigw-putevents-request.constructed.json");

/// The kinds' names, for shell completions.
pub fn kind_names() -> impl Iterator<Item = &'static str> {
    KINDS.iter().map(|k| k.name)
}

/// The `detail-type`s each AWS `source` of the catalogue sends, in
/// catalogue order: `("aws.s3", ["Object Created", ...])`. Custom sources
/// (not `aws.`) send anything and are not listed. The `check` lint for a
/// `detail-type` that its `source` never sends reads this table, so that
/// the catalogue is the one list of what AWS sends.
pub fn detail_types_by_source() -> &'static [(String, Vec<String>)] {
    static TABLE: std::sync::OnceLock<Vec<(String, Vec<String>)>> = std::sync::OnceLock::new();
    TABLE.get_or_init(|| {
        let mut table: Vec<(String, Vec<String>)> = Vec::new();
        let templates = KINDS.iter().map(|k| k.template).chain([LIFECYCLE_DELETE]);
        for template in templates {
            let Ok(event) = json::parse(template) else {
                continue;
            };
            let (Some(source), Some(detail_type)) = (
                event.get("source").and_then(Node::as_str),
                event.get("detail-type").and_then(Node::as_str),
            ) else {
                continue; // not an EventBridge event (the legacy S3 shape)
            };
            if !source.starts_with("aws.") {
                continue;
            }
            let at = match table.iter().position(|(s, _)| s == source) {
                Some(i) => i,
                None => {
                    table.push((source.to_string(), Vec::new()));
                    table.len() - 1
                }
            };
            if !table[at].1.iter().any(|d| d == detail_type) {
                table[at].1.push(detail_type.to_string());
            }
        }
        table
    })
}

/// The kinds and what they are, for `--help`.
pub fn kinds_help() -> String {
    let width = KINDS.iter().map(|k| k.name.len()).max().unwrap_or(0);
    KINDS
        .iter()
        .map(|k| format!("  {:width$}  {}\n", k.name, k.about))
        .collect()
}

/// Find a kind by name, by detail-type ("Object Created") or with an
/// `s3-` prefix.
pub fn find(kind: &str) -> Option<&'static Kind> {
    let wanted: String = kind
        .trim()
        .to_ascii_lowercase()
        .chars()
        .map(|c| if c == ' ' || c == '_' { '-' } else { c })
        .collect();
    let wanted = match wanted.as_str() {
        "aws-api-call-via-cloudtrail" => "cloudtrail",
        "s3-legacy-notification" | "legacy" => "s3-legacy",
        other => other
            .strip_prefix("s3-")
            .filter(|o| o.starts_with("object-"))
            .unwrap_or(other),
    };
    KINDS.iter().find(|k| k.name == wanted)
}
