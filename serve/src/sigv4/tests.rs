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
        *headers.last_mut().unwrap() = ("Authorization".to_string(), suite_auth(case.signed, &bad));
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
            message: "Signature expired: 20261203T183407Z is now earlier than 20261203T183408Z \
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
