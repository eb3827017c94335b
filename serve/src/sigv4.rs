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
mod tests;
