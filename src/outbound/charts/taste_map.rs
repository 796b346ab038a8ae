//! The taste map: a PNG of users projected to 2-D ([`crate::domain::taste::project`]), coloured
//! by taste group, group names at the centroids, the requesting user ringed.
//!
//! Drawn with plotters' bitmap backend into memory (no font features: plotters' `ttf` pulls in
//! font-kit and system fontconfig, and `ab_glyph` needs a font file shipped with the bot), so
//! labels use the small built-in 5×7 bitmap font below, and the PNG is encoded here (zlib with
//! fixed-Huffman deflate and run matches), which keeps plotters' `image` dependency out.
#![allow(clippy::many_single_char_names, reason = "pixel maths: x, y, w, c")]
#![allow(clippy::too_many_lines, reason = "one drawing pass read top to bottom")]
#![allow(clippy::match_same_arms, reason = "a font table: É is drawn as E")]

use crate::domain::ids::UserId;
use crate::domain::taste::{TasteGroups, TasteProjection};
use anyhow::Context as _;
use plotters::prelude::*;

/// Group colours (Tableau 10), by group order.
const PALETTE: [(u8, u8, u8); 10] = [
    (31, 119, 180),
    (255, 127, 14),
    (44, 160, 44),
    (214, 39, 40),
    (148, 103, 189),
    (140, 86, 75),
    (227, 119, 194),
    (127, 127, 127),
    (188, 189, 34),
    (23, 190, 207),
];
/// Width of the legend column, in pixels.
const LEGEND: u32 = 330;
/// Font scale (a glyph is 5·S × 7·S pixels, 6·S apart).
const SCALE: u32 = 2;

pub(crate) fn colour(i: usize) -> RGBColor {
    let (r, g, b) = PALETTE[i % PALETTE.len()];
    RGBColor(r, g, b)
}

/// Renders the taste map as PNG bytes.
///
/// # Errors
/// The size is too small (under 480 × 320) or too large (over 8000 pixels a side), or drawing failed.
pub fn render_taste_map(
    groups: &TasteGroups,
    projection: &TasteProjection,
    highlight: Option<UserId>,
    width: u32,
    height: u32,
) -> anyhow::Result<Vec<u8>> {
    anyhow::ensure!(
        (480..=8000).contains(&width) && (320..=8000).contains(&height),
        "taste map size {width}×{height} is out of range (480–8000 × 320–8000)"
    );
    let mut buf = vec![0u8; width as usize * height as usize * 3];
    let index_of = |key| groups.groups().iter().position(|g| g.key == key);
    let (x0, y0, x1, y1) = (
        16i32,
        44i32,
        (width - LEGEND) as i32 - 8,
        height as i32 - 16,
    );
    // Bounds of the points and centroids, with a margin.
    let xs = projection
        .points
        .iter()
        .map(|p| p.1)
        .chain(projection.centroids.iter().map(|c| c.1));
    let ys = projection
        .points
        .iter()
        .map(|p| p.2)
        .chain(projection.centroids.iter().map(|c| c.2));
    let (minx, maxx) = xs.fold((f32::INFINITY, f32::NEG_INFINITY), |(a, b), v| {
        (a.min(v), b.max(v))
    });
    let (miny, maxy) = ys.fold((f32::INFINITY, f32::NEG_INFINITY), |(a, b), v| {
        (a.min(v), b.max(v))
    });
    let span = |a: f32, b: f32| {
        if a.is_finite() && b > a {
            (a, b - a)
        } else {
            (-1.0, 2.0)
        }
    };
    let ((minx, sx), (miny, sy)) = (span(minx, maxx), span(miny, maxy));
    let to_px = |x: f32, y: f32| -> (i32, i32) {
        let fx = f64::from((x - minx) / sx).clamp(0.0, 1.0);
        let fy = f64::from((y - miny) / sy).clamp(0.0, 1.0);
        let pad = 14.0;
        (
            x0 + (pad + fx * (f64::from(x1 - x0) - 2.0 * pad)) as i32,
            y1 - (pad + fy * (f64::from(y1 - y0) - 2.0 * pad)) as i32,
        )
    };
    let mut you = None;
    {
        let root = BitMapBackend::with_buffer(&mut buf, (width, height)).into_drawing_area();
        root.fill(&WHITE).context("drawing the background")?;
        root.draw(&Rectangle::new(
            [(x0, y0), (x1, y1)],
            RGBColor(200, 200, 200).stroke_width(1),
        ))
        .context("drawing the frame")?;
        let radius = if projection.points.len() > 3000 { 2 } else { 3 };
        for &(user, x, y, key) in &projection.points {
            let Some(i) = index_of(key) else { continue };
            let p = to_px(x, y);
            root.draw(&Circle::new(p, radius, colour(i).mix(0.55).filled()))
                .context("drawing a point")?;
            if Some(user) == highlight {
                you = Some(p);
            }
        }
        for &(key, x, y) in &projection.centroids {
            let Some(i) = index_of(key) else { continue };
            let p = to_px(x, y);
            root.draw(&Circle::new(p, 7, colour(i).filled()))
                .context("drawing a centroid")?;
            root.draw(&Circle::new(p, 7, BLACK.stroke_width(2)))
                .context("drawing a centroid")?;
        }
        if let Some(p) = you {
            root.draw(&Circle::new(p, 11, BLACK.stroke_width(3)))
                .context("drawing you")?;
            root.draw(&Circle::new(p, 5, RGBColor(255, 215, 0).filled()))
                .context("drawing you")?;
        }
        for i in 0..groups.groups().len() {
            let y = 60 + i as i32 * 40;
            let lx = (width - LEGEND) as i32 + 8;
            root.draw(&Rectangle::new(
                [(lx, y), (lx + 18, y + 18)],
                colour(i).filled(),
            ))
            .context("drawing the legend")?;
        }
        root.present().context("finishing the bitmap")?;
    }
    let mut canvas = Canvas {
        buf: &mut buf,
        width,
        height,
    };
    let title = format!(
        "TASTE MAP: {} USERS SHOWN, {} GROUPS",
        projection.points.len(),
        groups.groups().len()
    );
    canvas.text(16, 12, &title, (30, 30, 30), None);
    let axes = format!(
        "PCA {:.0}% + {:.0}% OF VARIANCE",
        projection.explained[0] * 100.0,
        projection.explained[1] * 100.0
    );
    canvas.text_scaled(x0 + 4, y1 - 11, &axes, (120, 120, 120), 1);
    let lx = (width - LEGEND) as i32 + 34;
    canvas.text(lx - 26, 30, "GROUPS", (30, 30, 30), None);
    let max_chars = ((LEGEND - 42) / (6 * SCALE)) as usize;
    for (i, g) in groups.groups().iter().enumerate() {
        let y = 60 + i as i32 * 40;
        if y + 30 > height as i32 {
            break;
        }
        canvas.text(lx, y + 2, &truncate(&g.name, max_chars), (30, 30, 30), None);
        let size = format!("{} USERS", g.size);
        canvas.text_scaled(lx, y + 20, &size, (110, 110, 110), 1);
    }
    if let Some(h) = highlight {
        let y = height as i32 - 30;
        let note = match (you, groups.group_of(h)) {
            (Some(_), Some(g)) => format!("RINGED: YOU ({})", g.name),
            (None, Some(g)) => format!("YOU: {} (NOT PLOTTED)", g.name),
            _ => "YOU: NO GROUP YET".to_owned(),
        };
        canvas.text(
            lx - 26,
            y,
            &truncate(&note, max_chars + 2),
            (30, 30, 30),
            None,
        );
    }
    for &(key, x, y) in &projection.centroids {
        let Some(g) = groups.group(key) else { continue };
        let (px, py) = to_px(x, y);
        let label = truncate(&g.name, 24);
        let w = text_width(&label) as i32;
        let tx = (px - w / 2).clamp(x0 + 2, x1 - w - 2);
        let ty = (py - 12 - 7 * SCALE as i32).clamp(y0 + 2, y1 - 7 * SCALE as i32 - 2);
        canvas.text(tx, ty, &label, (20, 20, 20), Some((255, 255, 255)));
    }
    Ok(encode_png(&buf, width, height))
}

fn truncate(s: &str, n: usize) -> String {
    if s.chars().count() <= n {
        s.to_owned()
    } else {
        let mut t: String = s.chars().take(n.saturating_sub(1)).collect();
        t.push('.');
        t
    }
}

pub(crate) fn text_width(s: &str) -> u32 {
    (s.chars().count() as u32 * 6).saturating_sub(1) * SCALE
}

/// An RGB buffer to blit glyphs into.
pub(crate) struct Canvas<'a> {
    pub(crate) buf: &'a mut [u8],
    pub(crate) width: u32,
    pub(crate) height: u32,
}

impl Canvas<'_> {
    fn put(&mut self, x: i32, y: i32, c: (u8, u8, u8)) {
        if x >= 0 && y >= 0 && (x as u32) < self.width && (y as u32) < self.height {
            let i = (y as usize * self.width as usize + x as usize) * 3;
            self.buf[i..i + 3].copy_from_slice(&[c.0, c.1, c.2]);
        }
    }

    pub(crate) fn text(
        &mut self,
        x: i32,
        y: i32,
        s: &str,
        c: (u8, u8, u8),
        bg: Option<(u8, u8, u8)>,
    ) {
        if let Some(b) = bg {
            let w = text_width(s) as i32;
            for yy in y - 3..y + 7 * SCALE as i32 + 3 {
                for xx in x - 4..x + w + 4 {
                    self.put(xx, yy, b);
                }
            }
        }
        self.text_scaled(x, y, s, c, SCALE);
    }

    pub(crate) fn text_scaled(&mut self, x: i32, y: i32, s: &str, c: (u8, u8, u8), scale: u32) {
        let sc = scale as i32;
        for (n, ch) in s.chars().enumerate() {
            let rows = glyph(ch);
            let gx = x + n as i32 * 6 * sc;
            for (r, bits) in rows.iter().enumerate() {
                for col in 0..5 {
                    if bits & (0x10 >> col) != 0 {
                        for dy in 0..sc {
                            for dx in 0..sc {
                                self.put(gx + col * sc + dx, y + r as i32 * sc + dy, c);
                            }
                        }
                    }
                }
            }
        }
    }
}

/// A 5×7 glyph, one row per byte (bit 4 = leftmost). Letters are upper case; unknown → '?'.
fn glyph(c: char) -> [u8; 7] {
    match c.to_ascii_uppercase() {
        ' ' => [0; 7],
        'A' => [0x0E, 0x11, 0x11, 0x1F, 0x11, 0x11, 0x11],
        'B' => [0x1E, 0x11, 0x11, 0x1E, 0x11, 0x11, 0x1E],
        'C' => [0x0E, 0x11, 0x10, 0x10, 0x10, 0x11, 0x0E],
        'D' => [0x1E, 0x11, 0x11, 0x11, 0x11, 0x11, 0x1E],
        'E' => [0x1F, 0x10, 0x10, 0x1E, 0x10, 0x10, 0x1F],
        'F' => [0x1F, 0x10, 0x10, 0x1E, 0x10, 0x10, 0x10],
        'G' => [0x0E, 0x11, 0x10, 0x17, 0x11, 0x11, 0x0F],
        'H' => [0x11, 0x11, 0x11, 0x1F, 0x11, 0x11, 0x11],
        'I' => [0x0E, 0x04, 0x04, 0x04, 0x04, 0x04, 0x0E],
        'J' => [0x07, 0x02, 0x02, 0x02, 0x02, 0x12, 0x0C],
        'K' => [0x11, 0x12, 0x14, 0x18, 0x14, 0x12, 0x11],
        'L' => [0x10, 0x10, 0x10, 0x10, 0x10, 0x10, 0x1F],
        'M' => [0x11, 0x1B, 0x15, 0x15, 0x11, 0x11, 0x11],
        'N' => [0x11, 0x11, 0x19, 0x15, 0x13, 0x11, 0x11],
        'O' => [0x0E, 0x11, 0x11, 0x11, 0x11, 0x11, 0x0E],
        'P' => [0x1E, 0x11, 0x11, 0x1E, 0x10, 0x10, 0x10],
        'Q' => [0x0E, 0x11, 0x11, 0x11, 0x15, 0x12, 0x0D],
        'R' => [0x1E, 0x11, 0x11, 0x1E, 0x14, 0x12, 0x11],
        'S' => [0x0F, 0x10, 0x10, 0x0E, 0x01, 0x01, 0x1E],
        'T' => [0x1F, 0x04, 0x04, 0x04, 0x04, 0x04, 0x04],
        'U' => [0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x0E],
        'V' => [0x11, 0x11, 0x11, 0x11, 0x11, 0x0A, 0x04],
        'W' => [0x11, 0x11, 0x11, 0x15, 0x15, 0x15, 0x0A],
        'X' => [0x11, 0x11, 0x0A, 0x04, 0x0A, 0x11, 0x11],
        'Y' => [0x11, 0x11, 0x11, 0x0A, 0x04, 0x04, 0x04],
        'Z' => [0x1F, 0x01, 0x02, 0x04, 0x08, 0x10, 0x1F],
        '0' => [0x0E, 0x11, 0x13, 0x15, 0x19, 0x11, 0x0E],
        '1' => [0x04, 0x0C, 0x04, 0x04, 0x04, 0x04, 0x0E],
        '2' => [0x0E, 0x11, 0x01, 0x02, 0x04, 0x08, 0x1F],
        '3' => [0x1F, 0x02, 0x04, 0x02, 0x01, 0x11, 0x0E],
        '4' => [0x02, 0x06, 0x0A, 0x12, 0x1F, 0x02, 0x02],
        '5' => [0x1F, 0x10, 0x1E, 0x01, 0x01, 0x11, 0x0E],
        '6' => [0x06, 0x08, 0x10, 0x1E, 0x11, 0x11, 0x0E],
        '7' => [0x1F, 0x01, 0x02, 0x04, 0x08, 0x08, 0x08],
        '8' => [0x0E, 0x11, 0x11, 0x0E, 0x11, 0x11, 0x0E],
        '9' => [0x0E, 0x11, 0x11, 0x0F, 0x01, 0x02, 0x0C],
        '-' => [0x00, 0x00, 0x00, 0x1F, 0x00, 0x00, 0x00],
        '_' => [0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x1F],
        '&' => [0x0C, 0x12, 0x14, 0x08, 0x15, 0x12, 0x0D],
        '(' => [0x02, 0x04, 0x08, 0x08, 0x08, 0x04, 0x02],
        ')' => [0x08, 0x04, 0x02, 0x02, 0x02, 0x04, 0x08],
        '.' => [0x00, 0x00, 0x00, 0x00, 0x00, 0x0C, 0x0C],
        ',' => [0x00, 0x00, 0x00, 0x00, 0x0C, 0x04, 0x08],
        ':' => [0x00, 0x0C, 0x0C, 0x00, 0x0C, 0x0C, 0x00],
        '\'' => [0x04, 0x04, 0x08, 0x00, 0x00, 0x00, 0x00],
        '+' => [0x00, 0x04, 0x04, 0x1F, 0x04, 0x04, 0x00],
        '%' => [0x18, 0x19, 0x02, 0x04, 0x08, 0x13, 0x03],
        '/' => [0x00, 0x01, 0x02, 0x04, 0x08, 0x10, 0x00],
        '!' => [0x04, 0x04, 0x04, 0x04, 0x04, 0x00, 0x04],
        _ => [0x0E, 0x11, 0x01, 0x02, 0x04, 0x00, 0x04],
    }
}

/// Encodes an RGB8 buffer as PNG: filter 0, one fixed-Huffman deflate block whose matches repeat
/// the previous pixel (distance 3) or the row above (distance one row).
pub(crate) fn encode_png(rgb: &[u8], width: u32, height: u32) -> Vec<u8> {
    let row = width as usize * 3;
    let mut raw = Vec::with_capacity((row + 1) * height as usize);
    for r in rgb.chunks_exact(row) {
        raw.push(0);
        raw.extend_from_slice(r);
    }
    let mut out = b"\x89PNG\r\n\x1a\n".to_vec();
    let mut ihdr = Vec::new();
    ihdr.extend(width.to_be_bytes());
    ihdr.extend(height.to_be_bytes());
    ihdr.extend([8, 2, 0, 0, 0]);
    chunk(&mut out, *b"IHDR", &ihdr);
    chunk(&mut out, *b"IDAT", &zlib(&raw, row + 1));
    chunk(&mut out, *b"IEND", &[]);
    out
}

fn chunk(out: &mut Vec<u8>, kind: [u8; 4], data: &[u8]) {
    out.extend(u32::try_from(data.len()).unwrap_or(u32::MAX).to_be_bytes());
    let start = out.len();
    out.extend_from_slice(&kind);
    out.extend_from_slice(data);
    let crc = crc32(&out[start..]);
    out.extend(crc.to_be_bytes());
}

fn crc32(data: &[u8]) -> u32 {
    let mut table = [0u32; 256];
    for (n, t) in table.iter_mut().enumerate() {
        let mut c = n as u32;
        for _ in 0..8 {
            c = if c & 1 != 0 {
                0xEDB8_8320 ^ (c >> 1)
            } else {
                c >> 1
            };
        }
        *t = c;
    }
    !data.iter().fold(!0u32, |c, &b| {
        table[((c ^ u32::from(b)) & 0xFF) as usize] ^ (c >> 8)
    })
}

/// LSB-first bit writer.
struct Bits {
    out: Vec<u8>,
    acc: u64,
    n: u32,
}

impl Bits {
    fn put(&mut self, value: u32, bits: u32) {
        self.acc |= u64::from(value) << self.n;
        self.n += bits;
        while self.n >= 8 {
            self.out.push((self.acc & 0xFF) as u8);
            self.acc >>= 8;
            self.n -= 8;
        }
    }

    /// A Huffman code, most significant bit first.
    fn code(&mut self, code: u32, len: u32) {
        let rev = code.reverse_bits() >> (32 - len);
        self.put(rev, len);
    }

    fn literal(&mut self, v: u32) {
        match v {
            0..=143 => self.code(0x30 + v, 8),
            144..=255 => self.code(0x190 + v - 144, 9),
            256..=279 => self.code(v - 256, 7),
            _ => self.code(0xC0 + v - 280, 8),
        }
    }
}

const LEN_BASE: [u32; 29] = [
    3, 4, 5, 6, 7, 8, 9, 10, 11, 13, 15, 17, 19, 23, 27, 31, 35, 43, 51, 59, 67, 83, 99, 115, 131,
    163, 195, 227, 258,
];
const LEN_EXTRA: [u32; 29] = [
    0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5, 0,
];
const DIST_BASE: [u32; 30] = [
    1, 2, 3, 4, 5, 7, 9, 13, 17, 25, 33, 49, 65, 97, 129, 193, 257, 385, 513, 769, 1025, 1537,
    2049, 3073, 4097, 6145, 8193, 12289, 16385, 24577,
];
const DIST_EXTRA: [u32; 30] = [
    0, 0, 0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7, 8, 8, 9, 9, 10, 10, 11, 11, 12, 12, 13,
    13,
];

fn zlib(data: &[u8], row: usize) -> Vec<u8> {
    let mut b = Bits {
        out: vec![0x78, 0x01],
        acc: 0,
        n: 0,
    };
    b.put(1, 1); // final block
    b.put(1, 2); // fixed Huffman
    let dists: Vec<usize> = [3, row].into_iter().filter(|&d| d <= 32_768).collect();
    let mut i = 0;
    while i < data.len() {
        let mut best = (0usize, 0usize);
        for &d in &dists {
            if i >= d {
                let max = (data.len() - i).min(258);
                let len = (0..max)
                    .take_while(|&k| data[i + k] == data[i + k - d])
                    .count();
                if len > best.0 {
                    best = (len, d);
                }
            }
        }
        if best.0 >= 3 {
            let (len, dist) = (best.0 as u32, best.1 as u32);
            let li = LEN_BASE.iter().rposition(|&l| l <= len).unwrap_or(0);
            b.literal(257 + li as u32);
            b.put(len - LEN_BASE[li], LEN_EXTRA[li]);
            let di = DIST_BASE.iter().rposition(|&d| d <= dist).unwrap_or(0);
            b.code(di as u32, 5);
            b.put(dist - DIST_BASE[di], DIST_EXTRA[di]);
            i += best.0;
        } else {
            b.literal(u32::from(data[i]));
            i += 1;
        }
    }
    b.literal(256);
    if b.n > 0 {
        b.out.push((b.acc & 0xFF) as u8);
    }
    let (mut s1, mut s2) = (1u32, 0u32);
    for &x in data {
        s1 = (s1 + u32::from(x)) % 65_521;
        s2 = (s2 + s1) % 65_521;
    }
    b.out.extend(((s2 << 16) | s1).to_be_bytes());
    b.out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::recommend::snapshot::{TrainParams, train};
    use crate::domain::taste::{TasteParams, cluster_taste, planted_world, project, taste_vectors};

    #[test]
    fn the_png_encoder_round_trips_through_a_standard_inflater_shape() {
        // A tiny image: check the signature, the chunk layout and the CRCs.
        let png = encode_png(&[255, 0, 0, 0, 255, 0, 0, 0, 255, 9, 9, 9], 2, 2);
        assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n");
        assert_eq!(&png[12..16], b"IHDR");
        assert_eq!(&png[png.len() - 8..png.len() - 4], b"IEND");
        assert_eq!(crc32(b"IEND"), 0xAE42_6082);
    }

    #[test]
    fn sizes_out_of_range_are_refused() {
        let g = crate::domain::taste::TasteGroups::empty();
        let p = TasteProjection {
            points: Vec::new(),
            centroids: Vec::new(),
            explained: [0.0; 2],
        };
        assert!(render_taste_map(&g, &p, None, 10, 10).is_err());
        assert!(render_taste_map(&g, &p, None, 800, 600).is_ok());
    }

    #[test]
    fn a_map_of_planted_groups_renders() {
        let (catalog, events) = planted_world(150, 4, true);
        let snap = train(&catalog, &events, &TrainParams::default()).expect("trains");
        let params = TasteParams {
            min_factor_users: usize::MAX,
            ..TasteParams::default()
        };
        let vectors = taste_vectors(&snap, &catalog, &events, &params);
        let groups = cluster_taste(&vectors, None, &params);
        let you = UserId(7);
        let projection = project(&vectors, &groups, 5_000, Some(you), 1);
        assert_eq!(projection.points.len(), groups.user_count());
        let png = render_taste_map(&groups, &projection, Some(you), 1000, 640).expect("renders");
        assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n");
        if let Ok(path) = std::env::var("MARQUEE_TASTE_MAP_PNG") {
            std::fs::write(path, &png).expect("writes");
        }
    }
}
