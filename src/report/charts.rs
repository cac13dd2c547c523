//! The charts of the reports and the dashboard, as inline SVG generated on the server: no
//! script and no external asset, so they show in a file opened from disk, in print and with
//! scripting off. Every text is XML-escaped here; callers may embed the result as it is.

use std::fmt::Write;

use super::rows::{region_name, RegionCounts, STATUSES};
use crate::domain::site_status::SiteStatus;
use crate::markup::escape;
use crate::store::sweeps::TrendPoint;

/// The fill of a status, shared by the charts and the spreadsheet cells (0xRRGGBB).
pub fn status_fill(status: SiteStatus) -> u32 {
    match status {
        SiteStatus::Compliant => 0xC6EFCE,
        SiteStatus::Pending => 0xFFEB9C,
        SiteStatus::Overdue => 0xFFC7CE,
        SiteStatus::Unreachable => 0xD9D9D9,
        SiteStatus::Suspended | SiteStatus::Revoked => 0xBFBFBF,
    }
}

/// A stronger shade of the status colour for bars on white.
fn status_ink(status: SiteStatus) -> &'static str {
    match status {
        SiteStatus::Compliant => "#2e7d32",
        SiteStatus::Pending => "#c98a00",
        SiteStatus::Overdue => "#b4161b",
        SiteStatus::Unreachable => "#757575",
        SiteStatus::Suspended => "#9e9e9e",
        SiteStatus::Revoked => "#424242",
    }
}

const WIDTH: u32 = 720;
const FONT: &str = "font-family=\"'Noto Sans CJK SC','Microsoft YaHei','SimSun',sans-serif\" font-size=\"13\"";

fn open(out: &mut String, height: u32, title: &str) {
    let _ = write!(
        out,
        "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {WIDTH} {height}\" width=\"100%\" \
         style=\"max-width:{WIDTH}px\" role=\"img\" {FONT}><title>{}</title>",
        escape(title)
    );
}

/// One horizontal bar per region: its compliance rate, with compliant / in-force sites.
pub fn region_bars(regions: &[RegionCounts]) -> String {
    const ROW: u32 = 28;
    const LABEL: f64 = 170.0;
    const BAR: f64 = 400.0;
    let height = ROW * regions.len().max(1) as u32 + 12;
    let mut out = String::new();
    open(&mut out, height, "各地区网站标识合规率");
    if regions.is_empty() {
        let _ = write!(out, "<text x=\"0\" y=\"20\" fill=\"#555\">暂无数据</text>");
    }
    for (i, r) in regions.iter().enumerate() {
        let y = i as u32 * ROW + 6;
        let name = region_name(&r.region);
        let label = if name.is_empty() { r.region.clone() } else { format!("{name}（{}）", r.region) };
        let rate = r.rate().unwrap_or(0.0);
        let rate_text = r.rate_text();
        let decided = r.decided();
        let _ = write!(
            out,
            "<text x=\"{x}\" y=\"{ty}\" text-anchor=\"end\">{label}</text>\
             <rect x=\"{LABEL}\" y=\"{y}\" width=\"{BAR}\" height=\"18\" fill=\"#f1f1f1\"/>\
             <rect x=\"{LABEL}\" y=\"{y}\" width=\"{w:.1}\" height=\"18\" fill=\"{fill}\"/>\
             <text x=\"{tx}\" y=\"{ty}\">{rate_text}（{c}/{decided}）</text>",
            x = LABEL - 8.0,
            ty = y + 14,
            label = escape(&label),
            w = BAR * rate / 100.0,
            fill = status_ink(SiteStatus::Compliant),
            tx = LABEL + BAR + 8.0,
            c = r.count(SiteStatus::Compliant),
        );
    }
    out.push_str("</svg>");
    out
}

/// One stacked bar of the sites by status, with a legend of the counts.
pub fn status_breakdown(all: &RegionCounts) -> String {
    let total = all.total();
    let mut out = String::new();
    open(&mut out, 86, "网站状态构成");
    let mut x = 0.0;
    for status in STATUSES {
        let n = all.count(status);
        if n == 0 || total == 0 {
            continue;
        }
        let w = f64::from(WIDTH) * n as f64 / total as f64;
        let _ = write!(
            out,
            "<rect x=\"{x:.1}\" y=\"0\" width=\"{w:.1}\" height=\"28\" fill=\"{}\"><title>{}：{n}</title></rect>",
            status_ink(status),
            escape(status.label())
        );
        x += w;
    }
    if total == 0 {
        let _ = write!(out, "<rect x=\"0\" y=\"0\" width=\"{WIDTH}\" height=\"28\" fill=\"#f1f1f1\"/>");
    }
    for (i, status) in STATUSES.iter().enumerate() {
        let lx = (i % 3) as u32 * 240;
        let ly = 44 + (i / 3) as u32 * 22;
        let _ = write!(
            out,
            "<rect x=\"{lx}\" y=\"{ly}\" width=\"12\" height=\"12\" fill=\"{}\"/>\
             <text x=\"{}\" y=\"{}\">{}：{}</text>",
            status_ink(*status),
            lx + 18,
            ly + 11,
            escape(status.label()),
            all.count(*status)
        );
    }
    out.push_str("</svg>");
    out
}

/// The compliance rate across sweeps, oldest on the left, one labelled point per sweep.
pub fn trend(points: &[TrendPoint]) -> String {
    const HEIGHT: u32 = 220;
    const LEFT: f64 = 48.0;
    const TOP: f64 = 16.0;
    const PLOT_H: f64 = 150.0;
    let plot_w = f64::from(WIDTH) - LEFT - 24.0;
    let mut out = String::new();
    open(&mut out, HEIGHT, "历次巡检合规率趋势");
    for pct in [0, 50, 100] {
        let y = TOP + PLOT_H * (1.0 - f64::from(pct) / 100.0);
        let _ = write!(
            out,
            "<line x1=\"{LEFT}\" y1=\"{y}\" x2=\"{}\" y2=\"{y}\" stroke=\"#ddd\"/>\
             <text x=\"{}\" y=\"{}\" text-anchor=\"end\" fill=\"#555\">{pct}%</text>",
            LEFT + plot_w,
            LEFT - 6.0,
            y + 4.0
        );
    }
    if points.is_empty() {
        let _ = write!(out, "<text x=\"{}\" y=\"{}\" fill=\"#555\">暂无已完成的巡检</text>", LEFT + 10.0, TOP + 80.0);
    }
    let step = if points.len() > 1 { plot_w / (points.len() - 1) as f64 } else { 0.0 };
    let coords: Vec<(f64, f64, f64)> = points
        .iter()
        .enumerate()
        .map(|(i, p)| {
            let rate = if p.sites == 0 { 0.0 } else { p.compliant as f64 * 100.0 / p.sites as f64 };
            let x = if points.len() > 1 { LEFT + step * i as f64 } else { LEFT + plot_w / 2.0 };
            (x, TOP + PLOT_H * (1.0 - rate / 100.0), rate)
        })
        .collect();
    if coords.len() > 1 {
        let path: Vec<String> = coords.iter().map(|(x, y, _)| format!("{x:.1},{y:.1}")).collect();
        let _ = write!(
            out,
            "<polyline points=\"{}\" fill=\"none\" stroke=\"{}\" stroke-width=\"2\"/>",
            path.join(" "),
            status_ink(SiteStatus::Overdue)
        );
    }
    for (p, (x, y, rate)) in points.iter().zip(&coords) {
        let date = super::rows::china_time(p.started_at);
        let _ = write!(
            out,
            "<circle cx=\"{x:.1}\" cy=\"{y:.1}\" r=\"4\" fill=\"{}\"><title>第{}次巡检 {}：{}/{}</title></circle>\
             <text x=\"{x:.1}\" y=\"{:.1}\" text-anchor=\"middle\">{rate:.1}%</text>\
             <text x=\"{x:.1}\" y=\"{}\" text-anchor=\"middle\" fill=\"#555\">{}</text>",
            status_ink(SiteStatus::Overdue),
            p.sweep_id,
            escape(&date),
            p.compliant,
            p.sites,
            y - 8.0,
            TOP + PLOT_H + 22.0,
            escape(date.get(5..10).unwrap_or(&date)),
        );
    }
    out.push_str("</svg>");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn region_labels_are_escaped_and_bars_scale_with_the_rate() {
        let r = RegionCounts { region: "<x>&".into(), counts: [1, 0, 1, 0, 0, 0] };
        let svg = region_bars(&[r]);
        assert!(svg.contains("&lt;x&gt;&amp;"), "{svg}");
        assert!(!svg.contains("<x>"));
        // 50 % of the 400-unit bar.
        assert!(svg.contains("width=\"200.0\""), "{svg}");
        assert!(svg.contains("50.0%（1/2）"));
    }

    #[test]
    fn breakdown_widths_add_up_to_the_whole_bar() {
        let all = RegionCounts { region: String::new(), counts: [3, 1, 0, 0, 0, 0] };
        let svg = status_breakdown(&all);
        assert!(svg.contains("width=\"540.0\""), "{svg}");
        assert!(svg.contains("width=\"180.0\""), "{svg}");
        assert!(svg.contains("已合规：3"));
    }

    #[test]
    fn trend_has_one_point_per_sweep() {
        let at = "2026-11-02T02:00:00Z".parse().unwrap();
        let points = vec![
            TrendPoint { sweep_id: 1, started_at: at, sites: 4, compliant: 1 },
            TrendPoint { sweep_id: 2, started_at: at, sites: 4, compliant: 3 },
        ];
        let svg = trend(&points);
        assert_eq!(svg.matches("<circle").count(), 2);
        assert!(svg.contains("25.0%") && svg.contains("75.0%"), "{svg}");
        assert!(svg.contains("<polyline"));
    }
}
