//! A strict JSON parser (RFC 8259) into a tree. Errors report the byte offset where the input
//! stopped making sense; ../c/json.c makes the same decisions at the same offsets. Strings are
//! unescaped into UTF-8 bytes; \u0000 and lone surrogates are rejected.

const MAX_DEPTH: usize = 64;

pub enum Json {
    Null,
    Bool(bool),
    Number(Vec<u8>), // its source text
    String(Vec<u8>),
    Array(Vec<Json>),
    Object(Vec<(Vec<u8>, Json)>),
}

impl Json {
    /// The value at a dotted path of object members ("repository.full_name").
    pub fn path(&self, path: &str) -> Option<&Json> {
        let mut value = self;
        for name in path.split('.') {
            match value {
                Json::Object(members) => {
                    value = &members.iter().find(|(key, _)| key == name.as_bytes())?.1;
                }
                _ => return None,
            }
        }
        Some(value)
    }

    /// The bytes of a string or a number at `path`.
    pub fn text(&self, path: &str) -> Option<&[u8]> {
        match self.path(path)? {
            Json::String(text) | Json::Number(text) => Some(text),
            _ => None,
        }
    }
}

struct Parser<'a> {
    data: &'a [u8],
    position: usize,
}

type Parsed<T> = Result<T, usize>; // Err: the byte offset of the error

/// Parses exactly `data` as one JSON value.
pub fn parse(data: &[u8]) -> Parsed<Json> {
    let mut parser = Parser { data, position: 0 };
    let value = parser.value(0)?;
    parser.skip_space();
    if parser.position != data.len() {
        return Err(parser.position);
    }
    Ok(value)
}

fn hex_digit(c: u8) -> Option<u32> {
    (c as char).to_digit(16)
}

impl<'a> Parser<'a> {
    fn peek(&self) -> Option<u8> {
        self.data.get(self.position).copied()
    }

    fn skip_space(&mut self) {
        while matches!(self.peek(), Some(b' ' | b'\t' | b'\n' | b'\r')) {
            self.position += 1;
        }
    }

    /// Four hex digits after "\u"; `self.position` is at the 'u'.
    fn hex4(&mut self) -> Parsed<u32> {
        let mut value = 0;
        for i in 1..=4 {
            let at = self.position + i;
            match self.data.get(at).copied().and_then(hex_digit) {
                Some(digit) => value = value * 16 + digit,
                None => return Err(at.min(self.data.len())),
            }
        }
        self.position += 5;
        Ok(value)
    }

    /// At the opening quote.
    fn string(&mut self) -> Parsed<Vec<u8>> {
        self.position += 1;
        let mut out = Vec::new();
        loop {
            let c = self.peek().ok_or(self.data.len())?;
            if c == b'"' {
                break;
            }
            if c < 0x20 {
                return Err(self.position);
            }
            if c != b'\\' {
                out.push(c);
                self.position += 1;
                continue;
            }
            let escape_at = self.position;
            self.position += 1;
            let e = self.peek();
            let simple = match e {
                Some(b'"') => Some(b'"'),
                Some(b'\\') => Some(b'\\'),
                Some(b'/') => Some(b'/'),
                Some(b'b') => Some(8),
                Some(b'f') => Some(12),
                Some(b'n') => Some(b'\n'),
                Some(b'r') => Some(b'\r'),
                Some(b't') => Some(b'\t'),
                _ => None,
            };
            if let Some(byte) = simple {
                out.push(byte);
                self.position += 1;
                continue;
            }
            if e != Some(b'u') {
                return Err(if e.is_none() { self.data.len() } else { self.position });
            }
            let mut code = self.hex4()?;
            if (0xD800..=0xDBFF).contains(&code) {
                let second_at = self.position;
                if self.data.get(second_at) != Some(&b'\\') || self.data.get(second_at + 1) != Some(&b'u') {
                    return Err(second_at);
                }
                self.position += 1;
                let low = self.hex4()?;
                if !(0xDC00..=0xDFFF).contains(&low) {
                    return Err(second_at);
                }
                code = 0x10000 + ((code - 0xD800) << 10) + (low - 0xDC00);
            } else if code == 0 || (0xDC00..=0xDFFF).contains(&code) {
                return Err(escape_at);
            }
            let mut buffer = [0u8; 4];
            let character = char::from_u32(code).ok_or(escape_at)?;
            out.extend_from_slice(character.encode_utf8(&mut buffer).as_bytes());
        }
        self.position += 1;
        Ok(out)
    }

    fn digits(&mut self) -> Parsed<()> {
        let start = self.position;
        while matches!(self.peek(), Some(b'0'..=b'9')) {
            self.position += 1;
        }
        if self.position > start {
            Ok(())
        } else {
            Err(self.position)
        }
    }

    fn container(&mut self, depth: usize, object: bool) -> Parsed<Json> {
        let close = if object { b'}' } else { b']' };
        let mut items = Vec::new();
        let mut members = Vec::new();
        self.position += 1;
        self.skip_space();
        if self.peek() == Some(close) {
            self.position += 1;
        } else {
            loop {
                self.skip_space();
                let mut key = None;
                if object {
                    if self.peek() != Some(b'"') {
                        return Err(self.position);
                    }
                    key = Some(self.string()?);
                    self.skip_space();
                    if self.peek() != Some(b':') {
                        return Err(self.position);
                    }
                    self.position += 1;
                }
                let item = self.value(depth + 1)?;
                match key {
                    Some(key) => members.push((key, item)),
                    None => items.push(item),
                }
                self.skip_space();
                let c = self.peek();
                self.position += 1;
                if c == Some(b',') {
                    continue;
                }
                if c == Some(close) {
                    break;
                }
                self.position -= 1;
                return Err(self.position);
            }
        }
        Ok(if object { Json::Object(members) } else { Json::Array(items) })
    }

    fn value(&mut self, depth: usize) -> Parsed<Json> {
        self.skip_space();
        if depth > MAX_DEPTH {
            return Err(self.position);
        }
        match self.peek() {
            Some(b'{') => return self.container(depth, true),
            Some(b'[') => return self.container(depth, false),
            Some(b'"') => return Ok(Json::String(self.string()?)),
            _ => {}
        }
        let words: [(&[u8], Json); 3] =
            [(b"null", Json::Null), (b"false", Json::Bool(false)), (b"true", Json::Bool(true))];
        for (word, value) in words {
            if self.peek() != Some(word[0]) {
                continue;
            }
            for &expected in word {
                if self.peek() != Some(expected) {
                    return Err(self.position.min(self.data.len()));
                }
                self.position += 1;
            }
            return Ok(value);
        }
        match self.peek() {
            Some(b'-' | b'0'..=b'9') => {
                let start = self.position;
                if self.peek() == Some(b'-') {
                    self.position += 1;
                }
                if self.peek() == Some(b'0') {
                    self.position += 1;
                } else {
                    self.digits()?;
                }
                if self.peek() == Some(b'.') {
                    self.position += 1;
                    self.digits()?;
                }
                if matches!(self.peek(), Some(b'e' | b'E')) {
                    self.position += 1;
                    if matches!(self.peek(), Some(b'+' | b'-')) {
                        self.position += 1;
                    }
                    self.digits()?;
                }
                Ok(Json::Number(self.data[start..self.position].to_vec()))
            }
            _ => Err(self.position.min(self.data.len())),
        }
    }
}
