//! AWS Signature Version 4 verification for requests to `evrule serve --credentials FILE`.
//!
//! Every AWS SDK and the AWS CLI sign their requests with SigV4: an `Authorization` header
//! naming an access key, a credential scope (date, region, service), the headers that were
//! signed, and an HMAC-SHA256 signature over a canonical form of the request. [`verify`]
//! rebuilds that canonical request from what arrived on the wire, derives the signing key
//! from the secret in [`Credentials`], and compares signatures in constant time. Failures
//! come back as [`AuthError`]s carrying the code, message and status AWS JSON services use,
//! so SDKs raise the same exceptions they would against AWS.
//!
//! The steps, as AWS specifies them:
//! 1. canonical request: method, URI-encoded normalized path (each segment encoded once
//!    more, as for every service but S3), query parameters encoded and sorted, the signed
//!    headers lower-cased with trimmed values and inner runs of spaces collapsed, the list
//!    of signed headers, and the hex SHA-256 of the body (or the `x-amz-content-sha256`
//!    header, which must agree with the body unless it is `UNSIGNED-PAYLOAD`);
//! 2. string to sign: `AWS4-HMAC-SHA256`, the request time, the scope, and the hex SHA-256
//!    of the canonical request;
//! 3. signing key: HMAC chain `"AWS4" + secret` → date → region → service → `aws4_request`;
//! 4. signature: hex HMAC of the string to sign under the signing key.
//!
//! The request time (`X-Amz-Date`, or `Date`) must be within [`MAX_SKEW`] of the server's
//! clock.
//!
//! # Credentials file
//!
//! The AWS shared credentials format (`~/.aws/credentials`), so an existing file works as is:
//!
//! ```ini
//! # comments start with # or ;
//! [default]
//! aws_access_key_id = AKIAIOSFODNN7EXAMPLE
//! aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY
//! aws_account_id = 123456789012
//!
//! [profile ci]
//! aws_access_key_id = AKIDCI
//! aws_secret_access_key = another-secret
//! ```
//!
//! Each profile with an access key id and a secret access key adds one key; the optional
//! `aws_account_id` (12 digits) is the account requests signed with that key act in.
//! Other settings (`region`, `aws_session_token`, ...) are ignored, and a profile with
//! neither key (only settings) is skipped. Keys and values are separated by `=`.

use std::collections::HashMap;
use std::fmt;
use std::path::Path;
use std::time::{Duration, SystemTime};

use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};

use crate::schedule::{civil_from_days, days_from_civil, days_in_month, floor_secs};

type HmacSha256 = Hmac<Sha256>;

/// How far the request time may be from the server's clock, either way.
pub const MAX_SKEW: Duration = Duration::from_secs(15 * 60);

const ALGORITHM: &str = "AWS4-HMAC-SHA256";

/// Access keys the server accepts: access key id → secret access key and account.
///
/// ```
/// use evrule_serve::sigv4::Credentials;
/// let creds = Credentials::from_pairs([("AKID".to_string(), "secret".to_string())]);
/// assert!(creds.contains("AKID"));
/// assert!(!creds.contains("OTHER"));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Default)]
pub struct Credentials {
    keys: HashMap<String, Key>,
}

#[derive(Clone)]
struct Key {
    secret: String,
    account: Option<String>,
}

// Secrets stay out of logs.
impl fmt::Debug for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut ids: Vec<&String> = self.keys.keys().collect();
        ids.sort();
        f.debug_struct("Credentials")
            .field("access_keys", &ids)
            .finish()
    }
}

/// A profile being read from the credentials file.
struct Profile {
    name: String,
    line: usize,
    access_key: Option<String>,
    secret: Option<String>,
    account: Option<String>,
}

impl Credentials {
    /// Reads an AWS shared credentials file (see the [module docs](self)). Errors name the
    /// file and, where there is one, the line.
    ///
    /// ```
    /// use evrule_serve::sigv4::Credentials;
    /// let path = std::env::temp_dir().join(format!("evrule-doc-creds-{}", std::process::id()));
    /// std::fs::write(&path, "[default]\naws_access_key_id = AKID\naws_secret_access_key = s3cret\n")?;
    /// let creds = Credentials::load(&path)?;
    /// assert!(creds.contains("AKID"));
    /// std::fs::write(&path, "aws_access_key_id = AKID\n")?;
    /// let err = Credentials::load(&path).unwrap_err();
    /// assert!(err.ends_with(":1: `aws_access_key_id` is outside a [profile] section"), "{err}");
    /// std::fs::remove_file(&path)?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn load(path: &Path) -> Result<Credentials, String> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| format!("{}: cannot read credentials: {e}", path.display()))?;
        Credentials::parse(&text).map_err(|e| format!("{}{e}", path.display()))
    }

    /// Keys without accounts, from (access key id, secret access key) pairs.
    ///
    /// ```
    /// use evrule_serve::sigv4::Credentials;
    /// let creds = Credentials::from_pairs(vec![("AKID".into(), "secret".into())]);
    /// assert!(creds.contains("AKID"));
    /// ```
    pub fn from_pairs(pairs: impl IntoIterator<Item = (String, String)>) -> Credentials {
        let keys = pairs
            .into_iter()
            .map(|(id, secret)| {
                (
                    id,
                    Key {
                        secret,
                        account: None,
                    },
                )
            })
            .collect();
        Credentials { keys }
    }

    /// Whether `access_key` is one of the accepted keys.
    ///
    /// ```
    /// use evrule_serve::sigv4::Credentials;
    /// assert!(!Credentials::default().contains("AKID"));
    /// ```
    pub fn contains(&self, access_key: &str) -> bool {
        self.keys.contains_key(access_key)
    }

    /// Parses the file's text; errors start with `:LINE: ` or `: ` for the caller to prefix
    /// with the path.
    fn parse(text: &str) -> Result<Credentials, String> {
        let mut keys: HashMap<String, Key> = HashMap::new();
        let mut owners: HashMap<String, String> = HashMap::new();
        let mut current: Option<Profile> = None;
        let mut finish = |profile: Profile| -> Result<(), String> {
            let Profile {
                name,
                line,
                access_key,
                secret,
                account,
            } = profile;
            match (access_key, secret) {
                (None, None) => Ok(()),
                (Some(_), None) => Err(format!(
                    ":{line}: profile [{name}] has aws_access_key_id but no aws_secret_access_key"
                )),
                (None, Some(_)) => Err(format!(
                    ":{line}: profile [{name}] has aws_secret_access_key but no aws_access_key_id"
                )),
                (Some(id), Some(secret)) => {
                    if let Some(first) = owners.get(&id) {
                        return Err(format!(
                            ":{line}: profile [{name}] repeats access key {id} of profile [{first}]"
                        ));
                    }
                    owners.insert(id.clone(), name);
                    keys.insert(id, Key { secret, account });
                    Ok(())
                }
            }
        };
        for (i, raw) in text.lines().enumerate() {
            let line = i + 1;
            let trimmed = raw.trim();
            if trimmed.is_empty() || trimmed.starts_with('#') || trimmed.starts_with(';') {
                continue;
            }
            if let Some(header) = trimmed.strip_prefix('[') {
                let Some(name) = header.strip_suffix(']') else {
                    return Err(format!(
                        ":{line}: section header `{trimmed}` has no closing `]`"
                    ));
                };
                let name = name.trim();
                let name = name.strip_prefix("profile ").map(str::trim).unwrap_or(name);
                if name.is_empty() {
                    return Err(format!(
                        ":{line}: section header `{trimmed}` has no profile name"
                    ));
                }
                if let Some(done) = current.take() {
                    finish(done)?;
                }
                current = Some(Profile {
                    name: name.to_string(),
                    line,
                    access_key: None,
                    secret: None,
                    account: None,
                });
                continue;
            }
            let Some((key, value)) = trimmed.split_once('=') else {
                return Err(format!(
                    ":{line}: expected `[profile]` or `key = value`, found `{trimmed}`"
                ));
            };
            let (key, value) = (key.trim(), value.trim());
            let Some(profile) = current.as_mut() else {
                return Err(format!(":{line}: `{key}` is outside a [profile] section"));
            };
            let slot = match key.to_ascii_lowercase().as_str() {
                "aws_access_key_id" => &mut profile.access_key,
                "aws_secret_access_key" => &mut profile.secret,
                "aws_account_id" => {
                    if value.len() != 12 || !value.bytes().all(|b| b.is_ascii_digit()) {
                        return Err(format!(
                            ":{line}: aws_account_id must be 12 digits, found `{value}`"
                        ));
                    }
                    &mut profile.account
                }
                _ => continue,
            };
            if value.is_empty() {
                return Err(format!(":{line}: `{key}` has no value"));
            }
            *slot = Some(value.to_string());
        }
        if let Some(done) = current.take() {
            finish(done)?;
        }
        if keys.is_empty() {
            return Err(
                ": no profile has both aws_access_key_id and aws_secret_access_key".to_string(),
            );
        }
        Ok(Credentials { keys })
    }
}

/// Who signed a request that [`verify`] accepted, and for which scope.
///
/// ```
/// use evrule_serve::sigv4::Verified;
/// let v = Verified {
///     access_key: "AKID".into(),
///     region: "us-east-1".into(),
///     service: "events".into(),
///     account: None,
/// };
/// assert_eq!(v.region, "us-east-1");
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Verified {
    /// The access key id from the credential scope.
    pub access_key: String,
    /// The region from the credential scope.
    pub region: String,
    /// The service from the credential scope (`events` for EventBridge clients).
    pub service: String,
    /// The key's `aws_account_id` from the credentials file, if it had one.
    pub account: Option<String>,
}

/// Why a request was refused: the AWS error code (`__type`), its message and HTTP status.
///
/// ```
/// use evrule_serve::sigv4::{verify, Credentials};
/// let err = verify(&Credentials::default(), "POST", "/", "", &[], b"{}", std::time::SystemTime::now())
///     .unwrap_err();
/// assert_eq!(err.code, "MissingAuthenticationTokenException");
/// assert_eq!(err.status, 400);
/// assert_eq!(err.to_string(), "MissingAuthenticationTokenException: Request is missing Authentication Token");
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AuthError {
    /// The AWS error code, e.g. `InvalidSignatureException`.
    pub code: &'static str,
    /// The message, in AWS's words where AWS has them.
    pub message: String,
    /// The HTTP status AWS JSON services answer with.
    pub status: u16,
}

impl fmt::Display for AuthError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.code, self.message)
    }
}

impl std::error::Error for AuthError {}

fn missing() -> AuthError {
    AuthError {
        code: "MissingAuthenticationTokenException",
        message: "Request is missing Authentication Token".to_string(),
        status: 400,
    }
}

fn incomplete(message: String) -> AuthError {
    AuthError {
        code: "IncompleteSignatureException",
        message,
        status: 400,
    }
}

fn invalid(message: String) -> AuthError {
    AuthError {
        code: "InvalidSignatureException",
        message,
        status: 400,
    }
}

fn mismatch() -> AuthError {
    invalid(
        "The request signature we calculated does not match the signature you provided. \
         Check your AWS Secret Access Key and signing method. Consult the service \
         documentation for details."
            .to_string(),
    )
}

fn unrecognized() -> AuthError {
    AuthError {
        code: "UnrecognizedClientException",
        message: "The security token included in the request is invalid.".to_string(),
        status: 400,
    }
}

/// The parts of an `Authorization: AWS4-HMAC-SHA256 ...` header.
struct Authorization<'a> {
    access_key: &'a str,
    date: &'a str,
    region: &'a str,
    service: &'a str,
    signed_headers: Vec<&'a str>,
    signature: &'a str,
}

fn header<'h>(headers: &'h [(String, String)], name: &str) -> Option<&'h str> {
    headers
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case(name))
        .map(|(_, v)| v.as_str())
}

fn parse_authorization(value: &str) -> Result<Authorization<'_>, AuthError> {
    let value = value.trim();
    let (algorithm, rest) = value.split_once(' ').unwrap_or((value, ""));
    if algorithm != ALGORITHM {
        return Err(incomplete(format!(
            "Unsupported AWS 'algorithm': '{algorithm}'; only '{ALGORITHM}' is accepted."
        )));
    }
    let (mut credential, mut signed, mut signature) = (None, None, None);
    for part in rest.split(',') {
        let Some((name, v)) = part.trim().split_once('=') else {
            continue;
        };
        match name.trim() {
            "Credential" => credential = Some(v.trim()),
            "SignedHeaders" => signed = Some(v.trim()),
            "Signature" => signature = Some(v.trim()),
            _ => {}
        }
    }
    let mut problems = String::new();
    for (name, part) in [
        ("Credential", credential),
        ("Signature", signature),
        ("SignedHeaders", signed),
    ] {
        if part.is_none() {
            problems.push_str(&format!(
                "Authorization header requires '{name}' parameter. "
            ));
        }
    }
    let (Some(credential), Some(signed), Some(signature)) = (credential, signed, signature) else {
        return Err(incomplete(format!("{problems}Authorization={value}")));
    };
    let scope: Vec<&str> = credential.split('/').collect();
    let [access_key, date, region, service, terminator] = scope[..] else {
        return Err(incomplete(format!(
            "Credential must have the form ACCESS_KEY_ID/YYYYMMDD/REGION/SERVICE/aws4_request, \
             found '{credential}'."
        )));
    };
    if terminator != "aws4_request" {
        return Err(incomplete(format!(
            "Credential should be scoped with a valid terminator: 'aws4_request', not '{terminator}'."
        )));
    }
    if access_key.is_empty() || region.is_empty() || service.is_empty() {
        return Err(incomplete(format!(
            "Credential must have the form ACCESS_KEY_ID/YYYYMMDD/REGION/SERVICE/aws4_request, \
             found '{credential}'."
        )));
    }
    Ok(Authorization {
        access_key,
        date,
        region,
        service,
        signed_headers: signed.split(';').collect(),
        signature,
    })
}

/// The access key and region of a request's `Authorization` header, without checking the
/// signature: where account and region come from when the server runs without
/// `--credentials`.
///
/// ```
/// use evrule_serve::sigv4::credential_scope;
/// let headers = vec![(
///     "Authorization".to_string(),
///     "AWS4-HMAC-SHA256 Credential=AKID/20261203/eu-west-1/events/aws4_request, \
///      SignedHeaders=host;x-amz-date, Signature=00".to_string(),
/// )];
/// assert_eq!(credential_scope(&headers), Some(("AKID".to_string(), "eu-west-1".to_string())));
/// assert_eq!(credential_scope(&[]), None);
/// ```
pub fn credential_scope(headers: &[(String, String)]) -> Option<(String, String)> {
    let auth = parse_authorization(header(headers, "authorization")?).ok()?;
    Some((auth.access_key.to_string(), auth.region.to_string()))
}

/// Checks a request's SigV4 signature against `creds` at time `now`.
///
/// `path` and `query` are the request target as it arrived (still percent-encoded, query
/// without the `?`), `headers` every header in arrival order (names in any case), and
/// `body` the raw body.
///
/// ```
/// use evrule_serve::sigv4::{verify, Credentials};
/// use std::time::{Duration, UNIX_EPOCH};
/// // The "get-vanilla" case of AWS's SigV4 test suite.
/// let creds = Credentials::from_pairs([(
///     "AKIDEXAMPLE".to_string(),
///     "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY".to_string(),
/// )]);
/// let headers = vec![
///     ("Host".to_string(), "example.amazonaws.com".to_string()),
///     ("X-Amz-Date".to_string(), "20150830T123600Z".to_string()),
///     ("Authorization".to_string(), "AWS4-HMAC-SHA256 \
///         Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, \
///         SignedHeaders=host;x-amz-date, \
///         Signature=5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31".to_string()),
/// ];
/// let now = UNIX_EPOCH + Duration::from_secs(1_440_938_160); // 2015-08-30T12:36:00Z
/// let who = verify(&creds, "GET", "/", "", &headers, b"", now)?;
/// assert_eq!((who.access_key.as_str(), who.region.as_str()), ("AKIDEXAMPLE", "us-east-1"));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn verify(
    creds: &Credentials,
    method: &str,
    path: &str,
    query: &str,
    headers: &[(String, String)],
    body: &[u8],
    now: SystemTime,
) -> Result<Verified, AuthError> {
    let auth_header = header(headers, "authorization").ok_or_else(missing)?;
    let auth = parse_authorization(auth_header)?;
    let (amz_date, request_secs) = request_time(headers, auth_header)?;
    if auth.date != &amz_date[..8] {
        return Err(invalid(format!(
            "Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date \
             from HTTP: '{}' != '{}', from '{amz_date}'.",
            auth.date,
            &amz_date[..8]
        )));
    }
    let key = creds.keys.get(auth.access_key).ok_or_else(unrecognized)?;
    let now_secs = floor_secs(now);
    let skew = MAX_SKEW.as_secs() as i64;
    let minutes = MAX_SKEW.as_secs() / 60;
    if request_secs < now_secs - skew {
        return Err(invalid(format!(
            "Signature expired: {amz_date} is now earlier than {} ({} - {minutes} min.)",
            amz_timestamp(now_secs - skew),
            amz_timestamp(now_secs)
        )));
    }
    if request_secs > now_secs + skew {
        return Err(invalid(format!(
            "Signature not yet current: {amz_date} is still later than {} ({} + {minutes} min.)",
            amz_timestamp(now_secs + skew),
            amz_timestamp(now_secs)
        )));
    }
    if !auth
        .signed_headers
        .iter()
        .any(|h| *h == "host" || *h == ":authority")
    {
        return Err(invalid(
            "'Host' or ':authority' must be a 'SignedHeader' in the AWS Authorization.".to_string(),
        ));
    }
    let body_hash = hex::encode(Sha256::digest(body));
    let payload_hash = match header(headers, "x-amz-content-sha256").map(str::trim) {
        None => body_hash,
        Some("UNSIGNED-PAYLOAD") => "UNSIGNED-PAYLOAD".to_string(),
        Some(claimed) if claimed.eq_ignore_ascii_case(&body_hash) => claimed.to_string(),
        Some(_) => {
            return Err(invalid(
                "The provided 'x-amz-content-sha256' header does not match what was computed."
                    .to_string(),
            ))
        }
    };
    let canonical = canonical_request(
        method,
        path,
        query,
        headers,
        &auth.signed_headers,
        &payload_hash,
    );
    let scope = format!(
        "{}/{}/{}/aws4_request",
        auth.date, auth.region, auth.service
    );
    let string_to_sign = format!(
        "{ALGORITHM}\n{amz_date}\n{scope}\n{}",
        hex::encode(Sha256::digest(canonical.as_bytes()))
    );
    let mut signing_key = hmac(
        format!("AWS4{}", key.secret).as_bytes(),
        auth.date.as_bytes(),
    );
    for part in [auth.region, auth.service, "aws4_request"] {
        signing_key = hmac(&signing_key, part.as_bytes());
    }
    let provided = hex::decode(auth.signature).map_err(|_| mismatch())?;
    let mut mac = HmacSha256::new_from_slice(&signing_key).expect("HMAC takes keys of any length");
    mac.update(string_to_sign.as_bytes());
    // verify_slice compares in constant time.
    mac.verify_slice(&provided).map_err(|_| mismatch())?;
    Ok(Verified {
        access_key: auth.access_key.to_string(),
        region: auth.region.to_string(),
        service: auth.service.to_string(),
        account: key.account.clone(),
    })
}

fn hmac(key: &[u8], data: &[u8]) -> Vec<u8> {
    let mut mac = HmacSha256::new_from_slice(key).expect("HMAC takes keys of any length");
    mac.update(data);
    mac.finalize().into_bytes().to_vec()
}

/// The request time in ISO 8601 basic form and as seconds since the epoch, from
/// `X-Amz-Date` or else `Date`.
fn request_time(headers: &[(String, String)], auth: &str) -> Result<(String, i64), AuthError> {
    if let Some(value) = header(headers, "x-amz-date") {
        let value = value.trim();
        let secs = parse_amz_date(value).ok_or_else(|| {
            incomplete(format!(
                "X-Amz-Date must be in ISO 8601 basic format (YYYYMMDD'T'HHMMSS'Z'), found '{value}'."
            ))
        })?;
        return Ok((value.to_string(), secs));
    }
    if let Some(value) = header(headers, "date") {
        let secs = parse_http_date(value.trim()).ok_or_else(|| {
            incomplete(format!(
                "Date must be an HTTP date such as 'Thu, 03 Dec 2026 18:34:07 GMT', found '{}'.",
                value.trim()
            ))
        })?;
        return Ok((amz_timestamp(secs), secs));
    }
    Err(incomplete(format!(
        "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header. \
         Authorization={}",
        auth.trim()
    )))
}

fn seconds_of(year: i64, month: u32, day: u32, h: u32, m: u32, s: u32) -> Option<i64> {
    let valid = (1..=12).contains(&month)
        && day >= 1
        && day <= days_in_month(year, month)
        && h < 24
        && m < 60
        && s < 60;
    valid.then(|| days_from_civil(year, month, day) * 86_400 + i64::from(h * 3_600 + m * 60 + s))
}

fn digits(text: &str) -> Option<u32> {
    (!text.is_empty() && text.bytes().all(|b| b.is_ascii_digit())).then(|| text.parse().ok())?
}

/// `YYYYMMDDTHHMMSSZ`.
fn parse_amz_date(v: &str) -> Option<i64> {
    if v.len() != 16 || !v.is_ascii() || &v[8..9] != "T" || &v[15..16] != "Z" {
        return None;
    }
    let n = |r: std::ops::Range<usize>| digits(&v[r]);
    seconds_of(
        i64::from(n(0..4)?),
        n(4..6)?,
        n(6..8)?,
        n(9..11)?,
        n(11..13)?,
        n(13..15)?,
    )
}

/// `Sun, 06 Nov 1994 08:49:37 GMT` (the IMF-fixdate form of HTTP dates).
fn parse_http_date(v: &str) -> Option<i64> {
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let parts: Vec<&str> = v.split_whitespace().collect();
    let [_weekday, day, month, year, time, "GMT"] = parts[..] else {
        return None;
    };
    let month = MONTHS.iter().position(|m| *m == month)? as u32 + 1;
    let mut hms = time.split(':').map(digits);
    let (Some(Some(h)), Some(Some(m)), Some(Some(s)), None) =
        (hms.next(), hms.next(), hms.next(), hms.next())
    else {
        return None;
    };
    seconds_of(i64::from(digits(year)?), month, digits(day)?, h, m, s)
}

/// Seconds since the epoch as `YYYYMMDDTHHMMSSZ`.
fn amz_timestamp(secs: i64) -> String {
    let (y, mo, d) = civil_from_days(secs.div_euclid(86_400));
    let s = secs.rem_euclid(86_400);
    format!(
        "{y:04}{mo:02}{d:02}T{:02}{:02}{:02}Z",
        s / 3_600,
        (s % 3_600) / 60,
        s % 60
    )
}

/// Percent-encodes everything but the unreserved characters (and `/` when asked).
fn uri_encode(bytes: &[u8], keep_slash: bool, out: &mut String) {
    for &b in bytes {
        if b.is_ascii_alphanumeric()
            || matches!(b, b'-' | b'_' | b'.' | b'~')
            || (keep_slash && b == b'/')
        {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
}

fn percent_decode(text: &str) -> Vec<u8> {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = |b: u8| (b as char).to_digit(16);
        if bytes[i] == b'%' && i + 2 < bytes.len() {
            if let (Some(h), Some(l)) = (hex(bytes[i + 1]), hex(bytes[i + 2])) {
                out.push((h * 16 + l) as u8);
                i += 3;
                continue;
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    out
}

/// The path with `.` and `..` segments resolved and empty segments dropped, keeping a
/// leading and a trailing slash, then encoded once more.
fn canonical_uri(path: &str) -> String {
    let mut segments: Vec<&str> = Vec::new();
    for segment in path.split('/') {
        match segment {
            "" | "." => {}
            ".." => {
                segments.pop();
            }
            s => segments.push(s),
        }
    }
    let mut normalized = String::from("/");
    normalized.push_str(&segments.join("/"));
    if path.ends_with('/') && !segments.is_empty() {
        normalized.push('/');
    }
    let mut out = String::with_capacity(normalized.len());
    uri_encode(normalized.as_bytes(), true, &mut out);
    out
}

/// Parameters decoded, re-encoded strictly, and sorted by encoded name, then value.
fn canonical_query(query: &str) -> String {
    let mut pairs: Vec<(String, String)> = query
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|p| {
            let (k, v) = p.split_once('=').unwrap_or((p, ""));
            let (mut ek, mut ev) = (String::new(), String::new());
            uri_encode(&percent_decode(k), false, &mut ek);
            uri_encode(&percent_decode(v), false, &mut ev);
            (ek, ev)
        })
        .collect();
    pairs.sort();
    let parts: Vec<String> = pairs.into_iter().map(|(k, v)| format!("{k}={v}")).collect();
    parts.join("&")
}

fn canonical_request(
    method: &str,
    path: &str,
    query: &str,
    headers: &[(String, String)],
    signed: &[&str],
    payload_hash: &str,
) -> String {
    let mut out = format!(
        "{method}\n{}\n{}\n",
        canonical_uri(path),
        canonical_query(query)
    );
    for name in signed {
        let values: Vec<String> = headers
            .iter()
            .filter(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.split_whitespace().collect::<Vec<_>>().join(" "))
            .collect();
        out.push_str(&format!("{name}:{}\n", values.join(",")));
    }
    out.push_str(&format!("\n{}\n{payload_hash}", signed.join(";")));
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::UNIX_EPOCH;

    const SUITE_KEY: &str = "AKIDEXAMPLE";
    const SUITE_SECRET: &str = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";

    fn suite_creds() -> Credentials {
        Credentials::from_pairs([(SUITE_KEY.to_string(), SUITE_SECRET.to_string())])
    }

    /// 2015-08-30T12:36:00Z, the time of AWS's test suite.
    fn suite_now() -> SystemTime {
        UNIX_EPOCH + Duration::from_secs(1_440_938_160)
    }

    fn h(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(n, v)| (n.to_string(), v.to_string()))
            .collect()
    }

    fn suite_auth(signed: &str, signature: &str) -> String {
        format!(
            "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, \
             SignedHeaders={signed}, Signature={signature}"
        )
    }

    /// Cases from AWS's SigV4 test suite (aws-signing-test-suite/v4, header signing): the
    /// request as signed and the published signature.
    #[test]
    fn aws_test_suite_signatures_verify() {
        struct Case {
            name: &'static str,
            method: &'static str,
            path: &'static str,
            query: &'static str,
            headers: &'static [(&'static str, &'static str)],
            signed: &'static str,
            body: &'static [u8],
            signature: &'static str,
        }
        const HOST: (&str, &str) = ("Host", "example.amazonaws.com");
        const DATE: (&str, &str) = ("X-Amz-Date", "20150830T123600Z");
        let cases = [
            Case {
                name: "get-vanilla",
                method: "GET",
                path: "/",
                query: "",
                headers: &[HOST, DATE],
                signed: "host;x-amz-date",
                body: b"",
                signature: "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31",
            },
            Case {
                name: "get-header-key-duplicate",
                method: "GET",
                path: "/",
                query: "",
                headers: &[
                    HOST,
                    ("My-Header1", "value2"),
                    ("My-Header1", "value2"),
                    ("My-Header1", "value1"),
                    DATE,
                ],
                signed: "host;my-header1;x-amz-date",
                body: b"",
                signature: "c9d5ea9f3f72853aea855b47ea873832890dbdd183b4468f858259531a5138ea",
            },
            Case {
                name: "get-header-value-trim",
                method: "GET",
                path: "/",
                query: "",
                headers: &[
                    HOST,
                    ("My-Header1", " value1"),
                    ("My-Header2", " \"a   b   c\""),
                    DATE,
                ],
                signed: "host;my-header1;my-header2;x-amz-date",
                body: b"",
                signature: "acc3ed3afb60bb290fc8d2dd0098b9911fcaa05412b367055dee359757a9c736",
            },
            Case {
                name: "get-vanilla-query-order-key-case",
                method: "GET",
                path: "/",
                query: "Param2=value2&Param1=value1",
                headers: &[HOST, DATE],
                signed: "host;x-amz-date",
                body: b"",
                signature: "b97d918cfa904a5beff61c982a1b6f458b799221646efd99d3219ec94cdf2500",
            },
            Case {
                name: "get-vanilla-query-order-encoded",
                method: "GET",
                path: "/",
                query: "Param-3=Value3&Param=Value2&%E1%88%B4=Value1",
                headers: &[HOST, DATE],
                signed: "host;x-amz-date",
                body: b"",
                signature: "371d3713e185cc334048618a97f809c9ffe339c62934c032af5a0e595648fcac",
            },
            Case {
                name: "get-vanilla-utf8-query",
                method: "GET",
                path: "/",
                query: "\u{1234}=bar",
                headers: &[HOST, DATE],
                signed: "host;x-amz-date",
                body: b"",
                signature: "2cdec8eed098649ff3a119c94853b13c643bcf08f8b0a1d91e12c9027818dd04",
            },
            Case {
                name: "get-vanilla-empty-query-key",
                method: "GET",
                path: "/",
                query: "Param1=value1",
                headers: &[HOST, DATE],
                signed: "host;x-amz-date",
                body: b"",
                signature: "a67d582fa61cc504c4bae71f336f98b97f1ea3c7a6bfe1b6e45aec72011b9aeb",
            },
            Case {
                name: "get-utf8",
                method: "GET",
                path: "/\u{1234}",
                query: "",
                headers: &[HOST, DATE],
                signed: "host;x-amz-date",
                body: b"",
                signature: "8318018e0b0f223aa2bbf98705b62bb787dc9c0e678f255a891fd03141be5d85",
            },
            Case {
                name: "get-space-normalized",
                method: "GET",
                path: "/example space/",
                query: "",
                headers: &[HOST, DATE],
                signed: "host;x-amz-date",
                body: b"",
                signature: "652487583200325589f1fba4c7e578f72c47cb61beeca81406b39ddec1366741",
            },
            Case {
                name: "get-slashes-normalized",
                method: "GET",
                path: "//example//",
                query: "",
                headers: &[HOST, DATE],
                signed: "host;x-amz-date",
                body: b"",
                signature: "9a624bd73a37c9a373b5312afbebe7a714a789de108f0bdfe846570885f57e84",
            },
            Case {
                name: "get-relative-relative-normalized",
                method: "GET",
                path: "/example1/example2/../..",
                query: "",
                headers: &[HOST, DATE],
                signed: "host;x-amz-date",
                body: b"",
                signature: "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31",
            },
            Case {
                name: "get-unreserved",
                method: "GET",
                path: "/-._~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz",
                query: "",
                headers: &[HOST, DATE],
                signed: "host;x-amz-date",
                body: b"",
                signature: "07ef7494c76fa4850883e2b006601f940f8a34d404d0cfa977f52a65bbf5f24f",
            },
            Case {
                name: "get-vanilla-with-session-token",
                method: "GET",
                path: "/",
                query: "",
                headers: &[
                    HOST,
                    (
                        "X-Amz-Security-Token",
                        "6e86291e8372ff2a2260956d9b8aae1d763fbf315fa00fa31553b73ebf194267",
                    ),
                    DATE,
                ],
                signed: "host;x-amz-date;x-amz-security-token",
                body: b"",
                signature: "07ec1639c89043aa0e3e2de82b96708f198cceab042d4a97044c66dd9f74e7f8",
            },
            Case {
                name: "post-vanilla-query",
                method: "POST",
                path: "/",
                query: "Param1=value1",
                headers: &[HOST, DATE],
                signed: "host;x-amz-date",
                body: b"",
                signature: "28038455d6de14eafc1f9222cf5aa6f1a96197d7deb8263271d420d138af7f11",
            },
            Case {
                name: "post-header-value-case",
                method: "POST",
                path: "/",
                query: "",
                headers: &[HOST, ("My-Header1", "VALUE1"), DATE],
                signed: "host;my-header1;x-amz-date",
                body: b"",
                signature: "cdbc9802e29d2942e5e10b5bccfdd67c5f22c7c4e8ae67b53629efa58b974b7d",
            },
            Case {
                name: "post-x-www-form-urlencoded",
                method: "POST",
                path: "/",
                query: "",
                headers: &[
                    ("Content-Type", "application/x-www-form-urlencoded"),
                    HOST,
                    ("Content-Length", "13"),
                    DATE,
                    (
                        "x-amz-content-sha256",
                        "9095672bbd1f56dfc5b65f3e153adc8731a4a654192329106275f4c7b24d0b6e",
                    ),
                ],
                signed: "content-length;content-type;host;x-amz-content-sha256;x-amz-date",
                body: b"Param1=value1",
                signature: "d3875051da38690788ef43de4db0d8f280229d82040bfac253562e56c3f20e0b",
            },
        ];
        for case in cases {
            let mut headers = h(case.headers);
            headers.push((
                "Authorization".to_string(),
                suite_auth(case.signed, case.signature),
            ));
            let got = verify(
                &suite_creds(),
                case.method,
                case.path,
                case.query,
                &headers,
                case.body,
                suite_now(),
            );
            assert_eq!(
                got,
                Ok(Verified {
                    access_key: SUITE_KEY.to_string(),
                    region: "us-east-1".to_string(),
                    service: "service".to_string(),
                    account: None
                }),
                "{}",
                case.name
            );
            // One flipped signature digit must fail.
            let mut bad = case.signature.to_string();
            let flipped = if bad.ends_with('0') { '1' } else { '0' };
            bad.pop();
            bad.push(flipped);
            *headers.last_mut().unwrap() =
                ("Authorization".to_string(), suite_auth(case.signed, &bad));
            let err = verify(
                &suite_creds(),
                case.method,
                case.path,
                case.query,
                &headers,
                case.body,
                suite_now(),
            );
            assert_eq!(
                err.unwrap_err().code,
                "InvalidSignatureException",
                "{}",
                case.name
            );
        }
    }

    #[test]
    fn canonical_forms_match_the_suite() {
        // double-encode-path: the wire path is encoded once more.
        assert_eq!(
            canonical_uri("/test/@connections/JBDvjfGEIAMCERw%3D"),
            "/test/%40connections/JBDvjfGEIAMCERw%253D"
        );
        assert_eq!(canonical_uri(""), "/");
        assert_eq!(canonical_uri("/./"), "/");
        assert_eq!(canonical_uri("/a/./b/../c/"), "/a/c/");
        assert_eq!(
            canonical_query("Param-3=Value3&Param=Value2&%E1%88%B4=Value1"),
            "%E1%88%B4=Value1&Param=Value2&Param-3=Value3"
        );
        assert_eq!(canonical_query("b&a=1&a=0&c=x%2"), "a=0&a=1&b=&c=x%252");
        assert_eq!(canonical_query("k=a+b%20c"), "k=a%2Bb%20c");
        let creq = canonical_request(
            "GET",
            "/",
            "",
            &h(&[
                ("Host", "example.amazonaws.com"),
                ("My-Header2", " \"a   b   c\""),
                ("X-Amz-Date", "20150830T123600Z"),
            ]),
            &["host", "my-header2", "x-amz-date"],
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
        );
        assert_eq!(
            creq,
            "GET\n/\n\nhost:example.amazonaws.com\nmy-header2:\"a b c\"\nx-amz-date:20150830T123600Z\n\n\
             host;my-header2;x-amz-date\ne3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
    }

    /// A PutEvents request signed by botocore 1.43 (`SigV4Auth(creds, "events",
    /// "eu-west-1").add_auth(...)`) for `http://127.0.0.1:4010/`.
    fn botocore_request() -> (
        Credentials,
        Vec<(String, String)>,
        &'static [u8],
        SystemTime,
    ) {
        let creds = Credentials::parse(
            "[default]\naws_access_key_id = AKIAEVRULETEST000001\n\
             aws_secret_access_key = evrule/test+secret/KEY0000000000000000000\n\
             aws_account_id = 111122223333\n",
        )
        .unwrap();
        let headers = h(&[
            ("Host", "127.0.0.1:4010"),
            ("X-Amz-Target", "AWSEvents.PutEvents"),
            ("Content-Type", "application/x-amz-json-1.1"),
            ("User-Agent", "aws-cli/1.x botocore"),
            ("X-Amz-Date", "20261203T183407Z"),
            (
                "Authorization",
                "AWS4-HMAC-SHA256 Credential=AKIAEVRULETEST000001/20261203/eu-west-1/events/aws4_request, \
                 SignedHeaders=content-type;host;x-amz-date;x-amz-target, \
                 Signature=3050de2483318c9d28c38fa882e8556685da036a743d1016f23d336c2126e279",
            ),
            ("Content-Length", "102"),
        ]);
        let body: &[u8] = br#"{"Entries":[{"Source":"my.app","DetailType":"order","Detail":"{\"id\": 1}","EventBusName":"default"}]}"#;
        // Two minutes after signing.
        let now = UNIX_EPOCH + Duration::from_secs(1_796_322_847 + 120);
        (creds, headers, body, now)
    }

    #[test]
    fn botocore_signed_put_events_verifies() {
        let (creds, headers, body, now) = botocore_request();
        assert_eq!(body.len(), 102);
        assert_eq!(amz_timestamp(1_796_322_847), "20261203T183407Z");
        assert_eq!(
            verify(&creds, "POST", "/", "", &headers, body, now),
            Ok(Verified {
                access_key: "AKIAEVRULETEST000001".to_string(),
                region: "eu-west-1".to_string(),
                service: "events".to_string(),
                account: Some("111122223333".to_string()),
            })
        );
        assert_eq!(
            credential_scope(&headers),
            Some(("AKIAEVRULETEST000001".to_string(), "eu-west-1".to_string()))
        );
    }

    /// A PutRule request signed by the AWS SDK for Rust's signer (`aws-sigv4` 1.6.6,
    /// default settings), with a query string and the SDK's extra headers signed.
    #[test]
    fn rust_sdk_signed_put_rule_verifies() {
        let creds =
            Credentials::from_pairs([("AKIDRUSTSDK".to_string(), "rust/sdk+secret".to_string())]);
        let mut headers = h(&[
            ("host", "localhost:4010"),
            ("content-type", "application/x-amz-json-1.1"),
            ("x-amz-target", "AWSEvents.PutRule"),
            ("content-length", "50"),
            ("x-amz-user-agent", "aws-sdk-rust/1.3.x"),
            ("amz-sdk-invocation-id", "6f9a2a0e-1"),
            ("x-amz-date", "20261203T183407Z"),
            (
                "authorization",
                "AWS4-HMAC-SHA256 Credential=AKIDRUSTSDK/20261203/ap-south-1/events/aws4_request, \
                 SignedHeaders=amz-sdk-invocation-id;content-length;content-type;host;x-amz-date;x-amz-target;x-amz-user-agent, \
                 Signature=080b1c7efa27a3d9f27886a506a554d359de595f5e74776b6cdcd8fe47a44aaf",
            ),
        ]);
        let body = br#"{"Name":"r1","EventPattern":"{\"source\":[\"a b\"]}"}"#;
        let now = UNIX_EPOCH + Duration::from_secs(1_796_322_847);
        let who = verify(&creds, "POST", "/", "x=a%20b&y", &headers, body, now).unwrap();
        assert_eq!(
            (who.region.as_str(), who.service.as_str()),
            ("ap-south-1", "events")
        );
        // The same request with the query reordered still verifies (parameters are sorted);
        // a changed query value does not.
        assert!(verify(&creds, "POST", "/", "y&x=a%20b", &headers, body, now).is_ok());
        assert!(verify(&creds, "POST", "/", "x=a%20c&y", &headers, body, now).is_err());
        headers[5].1 = "6f9a2a0e-2".to_string();
        assert_eq!(
            verify(&creds, "POST", "/", "x=a%20b&y", &headers, body, now)
                .unwrap_err()
                .code,
            "InvalidSignatureException"
        );
    }

    #[test]
    fn tampered_botocore_requests_are_refused() {
        let (creds, headers, body, now) = botocore_request();
        let mismatch_message = "The request signature we calculated does not match the signature you provided. \
            Check your AWS Secret Access Key and signing method. Consult the service documentation for details.";
        let expect_mismatch = |headers: &[(String, String)], body: &[u8], what: &str| {
            let err = verify(&creds, "POST", "/", "", headers, body, now).unwrap_err();
            assert_eq!(
                err,
                AuthError {
                    code: "InvalidSignatureException",
                    message: mismatch_message.to_string(),
                    status: 400
                },
                "{what}"
            );
        };
        // A changed body.
        let tampered = br#"{"Entries":[{"Source":"my.app","DetailType":"order","Detail":"{\"id\": 2}","EventBusName":"default"}]}"#;
        expect_mismatch(&headers, tampered, "body");
        // A changed signed header.
        let mut other_target = headers.clone();
        other_target[1].1 = "AWSEvents.DeleteRule".to_string();
        expect_mismatch(&other_target, body, "X-Amz-Target");
        // A changed path or query.
        assert!(verify(&creds, "POST", "/x", "", &headers, body, now).is_err());
        assert!(verify(&creds, "POST", "/", "a=b", &headers, body, now).is_err());
        assert!(verify(&creds, "PUT", "/", "", &headers, body, now).is_err());
        // Unsigned headers may change.
        let mut other_agent = headers.clone();
        other_agent[3].1 = "something else".to_string();
        assert!(verify(&creds, "POST", "/", "", &other_agent, body, now).is_ok());
        // The right key id with another secret.
        let wrong_secret =
            Credentials::from_pairs([("AKIAEVRULETEST000001".to_string(), "nope".to_string())]);
        assert_eq!(
            verify(&wrong_secret, "POST", "/", "", &headers, body, now)
                .unwrap_err()
                .message,
            mismatch_message
        );
        // A signature that is not hex.
        let mut not_hex = headers.clone();
        not_hex[5].1 = not_hex[5].1.replace("Signature=3050", "Signature=zz50");
        expect_mismatch(&not_hex, body, "not hex");
    }

    #[test]
    fn unknown_key_missing_header_and_clock_skew_get_aws_errors() {
        let (creds, headers, body, now) = botocore_request();
        assert_eq!(
            verify(&suite_creds(), "POST", "/", "", &headers, body, now).unwrap_err(),
            AuthError {
                code: "UnrecognizedClientException",
                message: "The security token included in the request is invalid.".to_string(),
                status: 400
            }
        );
        let no_auth: Vec<_> = headers
            .iter()
            .filter(|(n, _)| n != "Authorization")
            .cloned()
            .collect();
        assert_eq!(
            verify(&creds, "POST", "/", "", &no_auth, body, now).unwrap_err(),
            AuthError {
                code: "MissingAuthenticationTokenException",
                message: "Request is missing Authentication Token".to_string(),
                status: 400
            }
        );
        let signed_at = 1_796_322_847;
        let late = UNIX_EPOCH + Duration::from_secs(signed_at + 15 * 60 + 1);
        assert_eq!(
            verify(&creds, "POST", "/", "", &headers, body, late).unwrap_err(),
            AuthError {
                code: "InvalidSignatureException",
                message:
                    "Signature expired: 20261203T183407Z is now earlier than 20261203T183408Z \
                          (20261203T184908Z - 15 min.)"
                        .to_string(),
                status: 400
            }
        );
        let early = UNIX_EPOCH + Duration::from_secs(signed_at - 15 * 60 - 1);
        assert_eq!(
            verify(&creds, "POST", "/", "", &headers, body, early)
                .unwrap_err()
                .message,
            "Signature not yet current: 20261203T183407Z is still later than 20261203T183406Z \
             (20261203T181906Z + 15 min.)"
        );
        // Exactly at the edges is still accepted.
        for edge in [signed_at + 15 * 60, signed_at - 15 * 60] {
            let t = UNIX_EPOCH + Duration::from_secs(edge);
            assert!(verify(&creds, "POST", "/", "", &headers, body, t).is_ok());
        }
    }

    #[test]
    fn malformed_authorization_headers_are_incomplete_signatures() {
        let now = suite_now();
        let date = ("X-Amz-Date", "20150830T123600Z");
        let check = |auth: &str, extra: &[(&str, &str)], code: &str, message: &str| {
            let mut headers = h(&[("Host", "example.amazonaws.com")]);
            headers.extend(h(extra));
            headers.push(("Authorization".to_string(), auth.to_string()));
            let err = verify(&suite_creds(), "GET", "/", "", &headers, b"", now).unwrap_err();
            assert_eq!(
                (err.code, err.message.as_str(), err.status),
                (code, message, 400),
                "{auth}"
            );
        };
        check(
            "AWS4-HMAC-SHA256 SignedHeaders=host",
            &[date],
            "IncompleteSignatureException",
            "Authorization header requires 'Credential' parameter. Authorization header requires \
             'Signature' parameter. Authorization=AWS4-HMAC-SHA256 SignedHeaders=host",
        );
        check(
            "Basic dXNlcjpwYXNz",
            &[date],
            "IncompleteSignatureException",
            "Unsupported AWS 'algorithm': 'Basic'; only 'AWS4-HMAC-SHA256' is accepted.",
        );
        check(
            "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service, SignedHeaders=host, Signature=00",
            &[date],
            "IncompleteSignatureException",
            "Credential must have the form ACCESS_KEY_ID/YYYYMMDD/REGION/SERVICE/aws4_request, \
             found 'AKIDEXAMPLE/20150830/us-east-1/service'.",
        );
        check(
            "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws5_request, SignedHeaders=host, Signature=00",
            &[date],
            "IncompleteSignatureException",
            "Credential should be scoped with a valid terminator: 'aws4_request', not 'aws5_request'.",
        );
        let good_shape = suite_auth("host;x-amz-date", "00");
        check(
            &good_shape,
            &[],
            "IncompleteSignatureException",
            &format!(
                "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header. \
                 Authorization={good_shape}"
            ),
        );
        check(
            &good_shape,
            &[("X-Amz-Date", "2015-08-30T12:36:00Z")],
            "IncompleteSignatureException",
            "X-Amz-Date must be in ISO 8601 basic format (YYYYMMDD'T'HHMMSS'Z'), found '2015-08-30T12:36:00Z'.",
        );
        check(
            &good_shape,
            &[("X-Amz-Date", "20150831T123600Z")],
            "InvalidSignatureException",
            "Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: \
             '20150830' != '20150831', from '20150831T123600Z'.",
        );
        check(
            &suite_auth("x-amz-date", "00"),
            &[date],
            "InvalidSignatureException",
            "'Host' or ':authority' must be a 'SignedHeader' in the AWS Authorization.",
        );
        check(
            &good_shape,
            &[date, ("x-amz-content-sha256", "abc")],
            "InvalidSignatureException",
            "The provided 'x-amz-content-sha256' header does not match what was computed.",
        );
        check(
            &good_shape,
            &[("Date", "30 Aug 2015")],
            "IncompleteSignatureException",
            "Date must be an HTTP date such as 'Thu, 03 Dec 2026 18:34:07 GMT', found '30 Aug 2015'.",
        );
        assert_eq!(
            credential_scope(&h(&[("Authorization", "Basic abc")])),
            None
        );
    }

    #[test]
    fn date_header_works_when_x_amz_date_is_absent() {
        // get-vanilla re-signed with the time carried by `Date` instead of `X-Amz-Date`:
        // the canonical request then signs `date`, so compute the expected signature here
        // from the suite's derived key, independently of `verify`.
        let headers = h(&[
            ("Host", "example.amazonaws.com"),
            ("Date", "Sun, 30 Aug 2015 12:36:00 GMT"),
        ]);
        let creq = canonical_request(
            "GET",
            "/",
            "",
            &headers,
            &["date", "host"],
            &hex::encode(Sha256::digest(b"")),
        );
        let sts = format!(
            "AWS4-HMAC-SHA256\n20150830T123600Z\n20150830/us-east-1/service/aws4_request\n{}",
            hex::encode(Sha256::digest(creq.as_bytes()))
        );
        let mut key = hmac(format!("AWS4{SUITE_SECRET}").as_bytes(), b"20150830");
        for part in ["us-east-1", "service", "aws4_request"] {
            key = hmac(&key, part.as_bytes());
        }
        let signature = hex::encode(hmac(&key, sts.as_bytes()));
        let mut signed = headers.clone();
        signed.push((
            "Authorization".to_string(),
            suite_auth("date;host", &signature),
        ));
        assert!(verify(&suite_creds(), "GET", "/", "", &signed, b"", suite_now()).is_ok());
        assert_eq!(
            parse_http_date("Sun, 30 Aug 2015 12:36:00 GMT"),
            Some(1_440_938_160)
        );
        assert_eq!(parse_http_date("Sun, 31 Feb 2015 12:36:00 GMT"), None);
        assert_eq!(parse_amz_date("20150830T123600Z"), Some(1_440_938_160));
        assert_eq!(parse_amz_date("20151330T123600Z"), None);
        assert_eq!(parse_amz_date("20150830T246000Z"), None);
    }

    #[test]
    fn credentials_file_parses_profiles() {
        let creds = Credentials::parse(
            "; a comment\n# another\n\n[default]\naws_access_key_id = AKID1\naws_secret_access_key=s1\n\
             region = eu-west-1\naws_session_token = tok\n\n[profile ci]\n  AWS_ACCESS_KEY_ID = AKID2 \n\
             aws_secret_access_key = s2=with=equals\naws_account_id = 123456789012\n[only-settings]\nregion = x\n",
        )
        .unwrap();
        assert!(creds.contains("AKID1") && creds.contains("AKID2"));
        assert_eq!(creds.keys["AKID2"].secret, "s2=with=equals");
        assert_eq!(creds.keys["AKID2"].account.as_deref(), Some("123456789012"));
        assert_eq!(creds.keys["AKID1"].account, None);
        assert_eq!(
            format!("{creds:?}"),
            r#"Credentials { access_keys: ["AKID1", "AKID2"] }"#
        );
    }

    #[test]
    fn credentials_file_errors_name_the_line() {
        let err = |text: &str| Credentials::parse(text).map(|_| ()).unwrap_err();
        assert_eq!(
            err("aws_access_key_id = A\n"),
            ":1: `aws_access_key_id` is outside a [profile] section"
        );
        assert_eq!(
            err("[a]\njunk\n"),
            ":2: expected `[profile]` or `key = value`, found `junk`"
        );
        assert_eq!(err("[a\n"), ":1: section header `[a` has no closing `]`");
        assert_eq!(err("[ ]\n"), ":1: section header `[ ]` has no profile name");
        assert_eq!(
            err("\n[a]\naws_access_key_id = A\n"),
            ":2: profile [a] has aws_access_key_id but no aws_secret_access_key"
        );
        assert_eq!(
            err("[a]\naws_secret_access_key = s\n"),
            ":1: profile [a] has aws_secret_access_key but no aws_access_key_id"
        );
        assert_eq!(
            err("[a]\naws_access_key_id = A\naws_secret_access_key = s\n[b]\naws_access_key_id = A\naws_secret_access_key = t\n"),
            ":4: profile [b] repeats access key A of profile [a]"
        );
        assert_eq!(
            err("[a]\naws_account_id = 12\n"),
            ":2: aws_account_id must be 12 digits, found `12`"
        );
        assert_eq!(
            err("[a]\naws_access_key_id =\n"),
            ":2: `aws_access_key_id` has no value"
        );
        assert_eq!(
            err("[a]\nregion = x\n"),
            ": no profile has both aws_access_key_id and aws_secret_access_key"
        );
        assert_eq!(
            err(""),
            ": no profile has both aws_access_key_id and aws_secret_access_key"
        );
    }

    #[test]
    fn load_reports_the_path() {
        let dir = std::env::temp_dir().join(format!("evrule-sigv4-test-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("credentials");
        std::fs::write(&path, "[default]\naws_access_key_id = AKID\n").unwrap();
        assert_eq!(
            Credentials::load(&path).unwrap_err(),
            format!(
                "{}:1: profile [default] has aws_access_key_id but no aws_secret_access_key",
                path.display()
            )
        );
        std::fs::write(
            &path,
            "[default]\naws_access_key_id = AKID\naws_secret_access_key = s\n",
        )
        .unwrap();
        assert!(Credentials::load(&path).unwrap().contains("AKID"));
        let missing = dir.join("absent");
        let e = Credentials::load(&missing).unwrap_err();
        assert!(
            e.starts_with(&format!("{}: cannot read credentials: ", missing.display())),
            "{e}"
        );
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn public_types_are_send_and_sync() {
        fn assert_send_sync<T: Send + Sync + std::panic::UnwindSafe>() {}
        assert_send_sync::<Credentials>();
        assert_send_sync::<Verified>();
        assert_send_sync::<AuthError>();
    }
}
