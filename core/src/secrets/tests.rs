//! The masking corpus: realistic secrets in the places people paste them, and look-alikes that
//! must pass untouched.

use super::*;

/// Realistic secrets in the places people paste them, and the text each must become. The keys
/// are made up but have the vendors' documented shapes.
const SECRETS: &[(&str, &str, &str)] = &[
    (
        "openai",
        "OPENAI_API_KEY = \"sk-proj-Ab3dEf6hIj9kLm2nOp5qRs8tUv1wXy4zAb7cDe0fGh3iJk6lMn9oPq2rSt5uVw8xYz\"\n",
        "OPENAI_API_KEY = \"REDACTED_SECRET_1\"\n",
    ),
    ("openai legacy", "key: sk-4fG7hJ2kL9mN3pQ6rS8tV1wX5yZ0aB3cD6eF9gH2jK4mN7pQ\n", "key: REDACTED_SECRET_1\n"),
    (
        "anthropic",
        "client = Anthropic(api_key=\"sk-ant-api03-q8W2e4R6t8Y0u2I4o6P8a0S2d4F6g8H0j2K4l6Z8x0C2v4B6n8M0q2W4e6R8t0Y2u4I6o8P0a2S4d6F8g0H2jA-bC3dAA\")",
        "client = Anthropic(api_key=\"REDACTED_SECRET_1\")",
    ),
    (
        "openrouter",
        "Authorization: Bearer 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\n",
        "Authorization: Bearer REDACTED_SECRET_1\n",
    ),
    ("deepseek", "DEEPSEEK_KEY='sk-3f9a7c1e5b2d4f6a8c0e2b4d6f8a0c1e'", "DEEPSEEK_KEY='REDACTED_SECRET_1'"),
    ("gemini", "const key = \"AIzaSyD3fG7hJ2kL9mN3pQ6rS8tV1wX5yZ0aB3c\";", "const key = \"REDACTED_SECRET_1\";"),
    (
        "aws",
        "[default]\naws_access_key_id = AKIAZ7Q4X2M9B3N5K8PL\naws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYz3xAmPl8Ey\n",
        "[default]\naws_access_key_id = REDACTED_SECRET_1\naws_secret_access_key = REDACTED_SECRET_2\n",
    ),
    ("github", "token = \"ghp_4fG7hJ2kL9mN3pQ6rS8tV1wX5yZ0aB3cD6eF\"", "token = \"REDACTED_SECRET_1\""),
    (
        "github fine-grained",
        "GH=github_pat_11ABCDEFG0123456789_abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123",
        "GH=REDACTED_SECRET_1",
    ),
    ("gitlab", "GITLAB_TOKEN=glpat-x9Y8w7V6u5T4s3R2q1P0", "GITLAB_TOKEN=REDACTED_SECRET_1"),
    (
        "slack",
        "SLACK_BOT_TOKEN = 'xoxb-2048123456789-4096123456789-Ab3dEf6hIj9kLm2nOp5qRs8t'",
        "SLACK_BOT_TOKEN = 'REDACTED_SECRET_1'",
    ),
    (
        "slack webhook",
        "url = \"https://hooks.slack.com/services/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\"",
        "url = \"REDACTED_SECRET_1\"",
    ),
    ("stripe", "stripe.api_key = \"sk_live_51Hx3Ab3dEf6hIj9kLm2nOp5qRs\"", "stripe.api_key = \"REDACTED_SECRET_1\""),
    (
        "npmrc",
        "registry=https://registry.npmjs.org/\n//registry.npmjs.org/:_authToken=npm_Ab3dEf6hIj9kLm2nOp5qRs8tUv1wXy4zAb7c\n",
        "registry=https://registry.npmjs.org/\n//registry.npmjs.org/:_authToken=REDACTED_SECRET_1\n",
    ),
    (
        "npmrc legacy",
        "//npm.example.com/:_authToken=0f6a9d2c-secret-token-4b1e\n",
        "//npm.example.com/:_authToken=REDACTED_SECRET_1\n",
    ),
    (
        "jwt",
        "headers = {\"Authorization\": \"Bearer eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U\"}",
        "headers = {\"Authorization\": \"Bearer REDACTED_SECRET_1\"}",
    ),
    (
        "postgres url",
        "DATABASE_URL = \"postgres://app:S3cr3t-P4ss@db.internal:5432/shop\"",
        "DATABASE_URL = \"postgres://app:REDACTED_SECRET_1@db.internal:5432/shop\"",
    ),
    (
        "redis url",
        "cache = redis.from_url('rediss://default:Zx81kQ0pLm@cache.example.com:6380/0')",
        "cache = redis.from_url('rediss://default:REDACTED_SECRET_1@cache.example.com:6380/0')",
    ),
    (
        "private key",
        "KEY = \"\"\"-----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEA0Z3VS5JJcds3xfn/ygWyF8PbnGy0AHB7MhgHcTz6sE2I2yPB\naNCV9bvjp8+fmWyx8sFEj1wEKbXlGdSOu0jyW1l8WBgb5YP4XHzNn+tFqDwbzOFS\n-----END RSA PRIVATE KEY-----\"\"\"\n",
        "KEY = \"\"\"REDACTED_SECRET_1\"\"\"\n",
    ),
    (
        "private key cut off",
        "pem = '''-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQAAAAAAAAABAAAAMwAAAAtzc2gtZW\n",
        "pem = '''REDACTED_SECRET_1",
    ),
];

/// Look-alikes that are not secrets and must pass unchanged.
const NOT_SECRETS: &[&str] = &[
    // Hashes and ids.
    "commit = \"9fceb02d0ae598e95dc970b74767f19372d61af8\"",
    "sha256: e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
    "id = \"3f2504e0-4f89-11d3-9a0c-0305e82c3301\"",
    "const uuid = '123e4567-e89b-12d3-a456-426614174000';",
    "integrity=\"sha512-z4PhNX7vuL3xVChQ1m2AB9Yg5AULVxXcg/SpIdNs6c5H0NE8XYXysP+DGNKHfuwvY7kxvUdBeoGlODJ6+SfaPg==\"",
    "data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==",
    // Names that start like keys.
    "from sklearn.pipeline import Pipeline  # sk-learn-pipeline-helpers-v2",
    "task-sk-management-service-handler-2024",
    "const desk = 'sk-reference-architecture-document';",
    "stripe_pk = \"pk_live_51Hx3Ab3dEf6hIj9kLm2nOp5qRs\"",
    "AKIA_PREFIX = \"AKIA\"",
    "ghp_ = 'ghp_short'",
    // Placeholders and variables in place of passwords.
    "url = \"postgres://user:${DB_PASSWORD}@localhost/db\"",
    "url = \"mysql://root:$MYSQL_PWD@127.0.0.1/app\"",
    "url = \"https://user:<password>@example.com\"",
    "url = \"amqp://guest:****@rabbit\"",
    "//registry.npmjs.org/:_authToken=${NPM_TOKEN}",
    "See https://example.com/docs?page=2 and git@github.com:org/repo.git",
    "email me at someone@example.com",
    // Code about keys.
    "if key.startswith(\"sk-\"):\n    raise ValueError(\"keys start with sk-\")",
    "-----BEGIN PUBLIC KEY-----\nMFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAE\n-----END PUBLIC KEY-----",
    "-----BEGIN CERTIFICATE-----\nMIIBszCCAVmgAwIBAgIUAbCdEf\n-----END CERTIFICATE-----",
    "token = os.environ[\"GITHUB_TOKEN\"]",
    "eyJ = 'eyJ prefix alone'",
];

#[test]
fn realistic_secrets_are_masked_and_nothing_else() {
    let masker = Masker::builtin();
    for (name, text, expected) in SECRETS {
        let mut masks = Masks::default();
        let masked = masker.mask(text, &mut masks);
        assert_eq!(&masked, expected, "{name}");
        assert!(!masks.is_empty(), "{name}");
        assert_eq!(masks.unmask(&masked), *text, "{name}: unmasking gives the text back");
    }
}

#[test]
fn look_alikes_pass_unchanged() {
    let masker = Masker::builtin();
    for text in NOT_SECRETS {
        let mut masks = Masks::default();
        assert_eq!(masker.mask(text, &mut masks), *text);
        assert!(masks.is_empty(), "{text}");
    }
}

#[test]
fn one_secret_is_one_placeholder_across_a_request() {
    let masker = Masker::builtin();
    let key = "ghp_4fG7hJ2kL9mN3pQ6rS8tV1wX5yZ0aB3cD6eF";
    let mut masks = Masks::default();
    let prefix = masker.mask(&format!("a = '{key}'\n"), &mut masks).into_owned();
    let suffix = masker.mask(&format!("b = '{key}'\nc = 'AKIAZ7Q4X2M9B3N5K8PL'\n"), &mut masks).into_owned();
    assert_eq!(prefix, "a = 'REDACTED_SECRET_1'\n");
    assert_eq!(suffix, "b = 'REDACTED_SECRET_1'\nc = 'REDACTED_SECRET_2'\n");
    let counts: Vec<(&str, u64)> = masks.counts().iter().map(|(kind, n)| (kind.as_str(), *n)).collect();
    assert_eq!(counts, [("aws_key", 1), ("github_token", 1)]);
    // An answer that uses the placeholders gets the secrets back; one the model made up is a placeholder still.
    assert_eq!(
        masks.unmask("x = REDACTED_SECRET_2 + REDACTED_SECRET_9"),
        "x = AKIAZ7Q4X2M9B3N5K8PL + REDACTED_SECRET_9"
    );
    assert!(masks.contains_placeholder("use REDACTED_SECRET_9"));
    assert!(!Masks::default().contains_placeholder("use REDACTED_SECRET_1"), "nothing masked: nothing to drop");
}

#[test]
fn text_that_already_looks_like_a_placeholder_comes_back_unchanged() {
    let masker = Masker::builtin();
    let mut masks = Masks::default();
    let text =
        "note = 'REDACTED_SECRET_1' # from the docs\nkey = 'sk-4fG7hJ2kL9mN3pQ6rS8tV1wX5yZ0aB3cD6eF9gH2jK4mN7pQ'";
    let masked = masker.mask(text, &mut masks);
    assert_eq!(masks.unmask(&masked), text);
    assert!(!masked.contains("sk-4fG7"));
    assert_eq!(masks.counts().values().sum::<u64>(), 1, "the look-alike is not counted as a secret");
}

#[test]
fn user_patterns_mask_their_first_group_or_the_whole_match() {
    let masker = Masker::new(&[r"internal-[0-9a-f]{12}".to_owned(), r#"PASSWORD\s*=\s*"([^"]+)""#.to_owned()])
        .expect("valid patterns");
    let mut masks = Masks::default();
    let masked = masker.mask("id = internal-0123456789ab\nPASSWORD = \"hunter22\"\n", &mut masks);
    assert_eq!(masked, "id = REDACTED_SECRET_1\nPASSWORD = \"REDACTED_SECRET_2\"\n");
    assert_eq!(masks.counts().get("user_pattern"), Some(&2));
}

#[test]
fn a_bad_user_pattern_is_an_error_naming_it() {
    let error = Masker::new(&["ok".to_owned(), "(unclosed".to_owned()]).unwrap_err();
    assert_eq!(error.index, 1);
    assert!(error.message.contains("unclosed") || error.message.contains("group"), "{}", error.message);
    let error = Masker::new(&["x*".to_owned()]).unwrap_err();
    assert_eq!(error, BadPattern { index: 0, message: "the pattern matches empty text".to_owned() });
}

#[test]
fn text_without_secrets_is_returned_as_is() {
    let masker = Masker::builtin();
    let mut masks = Masks::default();
    let code = "def total(items):\n    return sum(item.price for item in items)\n".repeat(200);
    assert_eq!(masker.mask(&code, &mut masks), code);
    assert!(masks.is_empty());
}

/// Defect: patterns each valid alone panicked when compiled together into one set.
#[test]
fn many_large_user_patterns_work_together() {
    let patterns = vec![r"secret-\w{16}".to_owned(); 40];
    let masker = Masker::new(&patterns).expect("each compiles alone, so all do");
    let mut masks = Masks::default();
    assert_eq!(masker.mask("id = secret-abcdefghijklmnop", &mut masks), "id = REDACTED_SECRET_1");
}

#[test]
fn every_built_in_shape_compiles() {
    // Each is compiled on first need; a pattern no other test reaches would otherwise panic
    // only in a user's session. `builtin_regex` panics on a pattern that does not compile.
    for index in 0..BUILTIN.len() {
        let _ = builtin_regex(index);
    }
}

/// The combined needle search finds one needle per start: another that starts at the same byte
/// (the beginning of the one found) is missed, which must never be another rule's, or that
/// rule's regex would not run.
#[test]
fn no_needle_begins_another_rules_needle() {
    let needles: Vec<(usize, &str)> =
        BUILTIN.iter().enumerate().flat_map(|(rule, r)| r.needles.iter().map(move |n| (rule, *n))).collect();
    for &(rule_a, a) in &needles {
        for &(rule_b, b) in &needles {
            assert!(
                rule_a == rule_b || !a.starts_with(b),
                "{b:?} (rule {}) begins {a:?} (rule {})",
                BUILTIN[rule_b].kind,
                BUILTIN[rule_a].kind
            );
        }
    }
}

/// Text made of needles, pieces of needles and filler, dense or sparse.
fn needle_soup() -> impl proptest::strategy::Strategy<Value = String> {
    use proptest::prelude::*;
    let needles: Vec<&'static str> = BUILTIN.iter().flat_map(|rule| rule.needles.iter().copied()).collect();
    let piece = prop_oneof![
        4 => proptest::sample::select(needles.clone()).prop_map(str::to_owned),
        2 => (proptest::sample::select(needles), 0usize..4).prop_map(|(n, cut)| n[..n.len().saturating_sub(cut).max(1)].to_owned()),
        3 => "[ -~é\n]{0,12}",
    ];
    proptest::collection::vec(piece, 0..80).prop_map(|pieces| pieces.concat())
}

proptest::proptest! {
    /// The combined search finds the rules that one search per needle finds, in text sparse or
    /// dense with needles (past `COMBINED_SEARCH_MATCHES`, the rest is searched needle by needle).
    #[test]
    fn the_combined_search_finds_what_each_needle_alone_finds(text in needle_soup()) {
        let alone: Vec<bool> = BUILTIN.iter().map(|rule| rule.needles.iter().any(|needle| text.contains(needle))).collect();
        proptest::prop_assert_eq!(rules_present(text.as_bytes()).to_vec(), alone);
    }
}
