//! Request bodies: JSON, or `multipart/form-data` (a `payload_json` field and the files), parsed
//! into the JSON and the [`Upload`]s.

use serde_json::Value;

/// A file of a multipart body.
#[derive(Debug)]
pub(super) struct Upload {
    pub(super) field: String,
    pub(super) filename: String,
    pub(super) content_type: Option<String>,
    pub(super) data: Vec<u8>,
}

/// The JSON of a body (`payload_json` for multipart) and its files.
pub(super) fn parse_body(content_type: &str, raw: &[u8]) -> (Value, Vec<Upload>) {
    if let Some(boundary) = multipart_boundary(content_type) {
        let mut json_body = Value::Null;
        let mut uploads = Vec::new();
        for part in multipart_parts(raw, &boundary) {
            if part.filename.is_none() && part.name == "payload_json" {
                json_body = parse_json(&part.data);
            } else {
                uploads.push(Upload {
                    field: part.name,
                    filename: part.filename.unwrap_or_default(),
                    content_type: part.content_type,
                    data: part.data,
                });
            }
        }
        (json_body, uploads)
    } else if raw.is_empty() {
        (Value::Null, Vec::new())
    } else {
        (parse_json(raw), Vec::new())
    }
}

fn parse_json(raw: &[u8]) -> Value {
    serde_json::from_slice(raw)
        .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(raw).into_owned()))
}

fn multipart_boundary(content_type: &str) -> Option<String> {
    let mut params = content_type.split(';');
    if !params
        .next()?
        .trim()
        .eq_ignore_ascii_case("multipart/form-data")
    {
        return None;
    }
    params.find_map(|p| {
        let (key, value) = p.trim().split_once('=')?;
        key.eq_ignore_ascii_case("boundary")
            .then(|| value.trim_matches('"').to_owned())
    })
}

#[derive(Debug)]
struct Part {
    name: String,
    filename: Option<String>,
    content_type: Option<String>,
    data: Vec<u8>,
}

/// The parts of a `multipart/form-data` body (RFC 7578), enough for what reqwest sends.
fn multipart_parts(raw: &[u8], boundary: &str) -> Vec<Part> {
    // Every delimiter is CRLF "--" boundary; prefixing CRLF makes the first one alike.
    let mut body = b"\r\n".to_vec();
    body.extend_from_slice(raw);
    let delimiter = format!("\r\n--{boundary}").into_bytes();
    let mut parts = Vec::new();
    let Some(mut at) = find_delimiter(&body, &delimiter, 0) else {
        return parts;
    };
    loop {
        let start = at + delimiter.len();
        if body[start..].starts_with(b"--") {
            break; // the closing delimiter
        }
        let Some(next) = find_delimiter(&body, &delimiter, start) else {
            break;
        };
        let part = &body[start..next];
        let part = part.strip_prefix(b"\r\n").unwrap_or(part);
        if let Some(split) = find(part, b"\r\n\r\n", 0) {
            let head = String::from_utf8_lossy(&part[..split]);
            let mut parsed = Part {
                name: String::new(),
                filename: None,
                content_type: None,
                data: part[split + 4..].to_vec(),
            };
            for line in head.lines() {
                let Some((key, value)) = line.split_once(':') else {
                    continue;
                };
                if key.trim().eq_ignore_ascii_case("content-disposition") {
                    for param in value.split(';').skip(1) {
                        if let Some((k, v)) = param.trim().split_once('=') {
                            let v = v.trim().trim_matches('"').to_owned();
                            match k.trim() {
                                "name" => parsed.name = v,
                                "filename" => parsed.filename = Some(v),
                                _ => {}
                            }
                        }
                    }
                } else if key.trim().eq_ignore_ascii_case("content-type") {
                    parsed.content_type = Some(value.trim().to_owned());
                }
            }
            parts.push(parsed);
        }
        at = next;
    }
    parts
}

/// The next delimiter: CRLF "--" boundary, then CRLF (or "--" at the end).
fn find_delimiter(body: &[u8], delimiter: &[u8], mut from: usize) -> Option<usize> {
    loop {
        let at = find(body, delimiter, from)?;
        let after = &body[at + delimiter.len()..];
        if after.starts_with(b"\r\n") || after.starts_with(b"--") {
            return Some(at);
        }
        from = at + 1;
    }
}

fn find(haystack: &[u8], needle: &[u8], from: usize) -> Option<usize> {
    haystack
        .get(from..)?
        .windows(needle.len())
        .position(|w| w == needle)
        .map(|i| i + from)
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn multipart_bodies_give_payload_json_and_files() {
        let raw =
            b"--XyZ\r\nContent-Disposition: form-data; name=\"files[0]\"; filename=\"a.png\"\r\n\
Content-Type: image/png\r\n\r\n\x89PNG\r\n--XyZ-not\r\n--XyZ\r\nContent-Disposition: form-data; \
name=\"payload_json\"\r\n\r\n{\"content\":\"hi\"}\r\n--XyZ--\r\n";
        let (body, files) = parse_body("multipart/form-data; boundary=XyZ", raw);
        assert_eq!(body, json!({"content": "hi"}));
        assert_eq!(files.len(), 1);
        assert_eq!(files[0].field, "files[0]");
        assert_eq!(files[0].filename, "a.png");
        assert_eq!(files[0].content_type.as_deref(), Some("image/png"));
        assert_eq!(files[0].data, b"\x89PNG\r\n--XyZ-not");
    }
}
