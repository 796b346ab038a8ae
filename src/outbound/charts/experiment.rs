//! The chart `/experiment status` attaches: each variant's like rate over time with its
//! always-valid interval as a band, one colour per variant.

use crate::outbound::charts::taste_map::{Canvas, colour, encode_png};
use anyhow::Context as _;
use plotters::prelude::*;

/// One variant's points: (days since the start, rate, interval low, interval high).
pub type Series = (String, Vec<(f64, f64, f64, f64)>);

#[allow(clippy::too_many_lines)] // one linear drawing: frame, bands, lines, legend, labels
/// Renders the chart as PNG bytes (`width` × `height`, at least 480 × 320).
///
/// # Errors
/// The size is out of range, or drawing failed.
pub fn render_rate_chart(
    title: &str,
    series: &[Series],
    width: u32,
    height: u32,
) -> anyhow::Result<Vec<u8>> {
    anyhow::ensure!(
        (480..=4000).contains(&width) && (320..=4000).contains(&height),
        "chart size {width}×{height} is out of range"
    );
    let mut buf = vec![0u8; width as usize * height as usize * 3];
    let (x0, y0, x1, y1) = (70i32, 50i32, width as i32 - 190, height as i32 - 40);
    let max_x = series
        .iter()
        .flat_map(|(_, p)| p.iter().map(|q| q.0))
        .fold(0.0f64, f64::max)
        .max(1e-6);
    let max_y = series
        .iter()
        .flat_map(|(_, p)| p.iter().map(|q| q.3))
        .filter(|v| v.is_finite())
        .fold(0.0f64, f64::max)
        .clamp(0.05, 1.0);
    let to_px = |x: f64, y: f64| -> (i32, i32) {
        let fx = (x / max_x).clamp(0.0, 1.0);
        let fy = (y / max_y).clamp(0.0, 1.0);
        (
            x0 + (fx * f64::from(x1 - x0)) as i32,
            y1 - (fy * f64::from(y1 - y0)) as i32,
        )
    };
    {
        let root = BitMapBackend::with_buffer(&mut buf, (width, height)).into_drawing_area();
        root.fill(&WHITE).context("drawing the background")?;
        root.draw(&Rectangle::new(
            [(x0, y0), (x1, y1)],
            RGBColor(200, 200, 200).stroke_width(1),
        ))
        .context("drawing the frame")?;
        for i in 1..5 {
            let y = y1 - (y1 - y0) * i / 5;
            root.draw(&PathElement::new(
                vec![(x0, y), (x1, y)],
                RGBColor(235, 235, 235).stroke_width(1),
            ))
            .context("drawing the grid")?;
        }
        for (i, (_, points)) in series.iter().enumerate() {
            let c = colour(i);
            if points.len() >= 2 {
                let mut band: Vec<(i32, i32)> = points
                    .iter()
                    .map(|p| to_px(p.0, p.3.clamp(0.0, 1.0)))
                    .collect();
                band.extend(points.iter().rev().map(|p| to_px(p.0, p.2.clamp(0.0, 1.0))));
                root.draw(&Polygon::new(band, c.mix(0.18).filled()))
                    .context("drawing an interval")?;
            }
            let line: Vec<(i32, i32)> = points.iter().map(|p| to_px(p.0, p.1)).collect();
            root.draw(&PathElement::new(line.clone(), c.stroke_width(3)))
                .context("drawing a rate")?;
            for p in line {
                root.draw(&Circle::new(p, 4, c.filled()))
                    .context("drawing a point")?;
            }
        }
        for (i, _) in series.iter().enumerate() {
            let y = y0 + 10 + i as i32 * 34;
            root.draw(&Rectangle::new(
                [(x1 + 16, y), (x1 + 32, y + 16)],
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
    canvas.text(16, 14, &title.to_uppercase(), (30, 30, 30), None);
    for i in 0..=5 {
        let v = max_y * f64::from(i) / 5.0;
        let (_, y) = to_px(0.0, v);
        canvas.text_scaled(
            12,
            y - 3,
            &format!("{:>3.0}%", v * 100.0),
            (110, 110, 110),
            1,
        );
    }
    canvas.text_scaled(x0, y1 + 10, "START", (110, 110, 110), 1);
    let span = if max_x >= 2.0 {
        format!("DAY {max_x:.1}")
    } else if max_x * 24.0 >= 2.0 {
        format!("HOUR {:.1}", max_x * 24.0)
    } else {
        format!("MINUTE {:.0}", (max_x * 1440.0).ceil())
    };
    canvas.text_scaled(x1 - 60, y1 + 10, &span, (110, 110, 110), 1);
    canvas.text_scaled(
        x0 + (x1 - x0) / 2 - 60,
        y1 + 22,
        "LIKE RATE, SHADED: INTERVAL",
        (110, 110, 110),
        1,
    );
    for (i, (name, _)) in series.iter().enumerate() {
        let y = y0 + 12 + i as i32 * 34;
        let short: String = name.chars().take(13).collect();
        canvas.text(x1 + 38, y, &short.to_uppercase(), (30, 30, 30), None);
    }
    Ok(encode_png(&buf, width, height))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_chart_is_a_png_of_the_asked_size_even_with_no_points() {
        let series = vec![
            (
                "control".to_owned(),
                vec![(0.5, 0.2, 0.1, 0.3), (1.0, 0.25, 0.2, 0.3)],
            ),
            ("variety".to_owned(), vec![(1.0, 0.3, 0.25, 0.35)]),
            ("empty".to_owned(), Vec::new()),
        ];
        let png = render_rate_chart("diversity", &series, 800, 420).expect("png");
        assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n");
        assert_eq!(u32::from_be_bytes(png[16..20].try_into().expect("w")), 800);
        assert_eq!(u32::from_be_bytes(png[20..24].try_into().expect("h")), 420);
        assert!(render_rate_chart("x", &[], 100, 100).is_err());
    }
}
