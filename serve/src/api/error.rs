//! Errors as EventBridge sends them: an AWS error code (`__type`), a
//! message and an HTTP status. Every failure of an action ends up here, and
//! `ApiError::body` is the one place that turns it into the wire form.

use serde_json::json;

/// A failed action: the AWS error code, its message and the HTTP status.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct ApiError {
    pub(crate) code: &'static str,
    pub(crate) message: String,
    pub(crate) status: u16,
}

impl ApiError {
    pub(crate) fn new(code: &'static str, message: impl Into<String>) -> ApiError {
        ApiError {
            code,
            message: message.into(),
            status: 400,
        }
    }

    /// `ValidationException`: the request broke a constraint of the model.
    pub(crate) fn validation(message: impl Into<String>) -> ApiError {
        ApiError::new("ValidationException", message)
    }

    /// `SerializationException`: the body is not the JSON the action takes.
    pub(crate) fn serialization(message: impl Into<String>) -> ApiError {
        ApiError::new("SerializationException", message)
    }

    /// `ResourceNotFoundException`.
    pub(crate) fn not_found(message: impl Into<String>) -> ApiError {
        ApiError::new("ResourceNotFoundException", message)
    }

    /// `ResourceAlreadyExistsException`.
    pub(crate) fn already_exists(message: impl Into<String>) -> ApiError {
        ApiError::new("ResourceAlreadyExistsException", message)
    }

    /// `LimitExceededException`.
    pub(crate) fn limit(message: impl Into<String>) -> ApiError {
        ApiError::new("LimitExceededException", message)
    }

    /// `InvalidEventPatternException` with AWS's prefix before the reason.
    pub(crate) fn invalid_pattern(reason: &str) -> ApiError {
        ApiError::new(
            "InvalidEventPatternException",
            format!("Event pattern is not valid. Reason: {reason}"),
        )
    }

    /// `InternalException`, status 500.
    pub(crate) fn internal(message: impl Into<String>) -> ApiError {
        ApiError {
            code: "InternalException",
            message: message.into(),
            status: 500,
        }
    }

    /// The answer to an `X-Amz-Target` that names no action of this API.
    pub(crate) fn unknown_operation(target: &str) -> ApiError {
        let message = if target.is_empty() {
            "The request has no X-Amz-Target header naming an action (AWSEvents.<Action>)."
                .to_string()
        } else {
            format!("The action {target} is not an action of this EventBridge API.")
        };
        ApiError::new("UnknownOperationException", message)
    }

    /// "Rule NAME does not exist on EventBus BUS."
    pub(crate) fn no_rule(rule: &str, bus: &str) -> ApiError {
        ApiError::not_found(format!("Rule {rule} does not exist on EventBus {bus}."))
    }

    /// "Event bus NAME does not exist."
    pub(crate) fn no_bus(bus: &str) -> ApiError {
        ApiError::not_found(format!("Event bus {bus} does not exist."))
    }

    /// The JSON body: `{"__type": code, "message": message}`.
    pub(crate) fn body(&self) -> Vec<u8> {
        json!({"__type": self.code, "message": self.message})
            .to_string()
            .into_bytes()
    }
}

impl std::fmt::Display for ApiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.code, self.message)
    }
}
